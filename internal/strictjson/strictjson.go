// Package strictjson decodes exactly one JSON value, rejecting unknown
// fields and trailing data: the wire shapes of docs/contract.md §2 and §4
// allow no extras.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// ErrTrailing is returned for anything but white space after the value.
var ErrTrailing = errors.New("trailing data after the JSON value")

// Decode decodes b into v strictly: one JSON value, no field v does not
// have, nothing after it but white space.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	return nil
}

// Object decodes b, one JSON object (or null, read as an empty one) and
// nothing after it but white space, calling field for each member in
// order with its key and raw value. A key that appears twice is passed
// twice.
func Object(b []byte, field func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != nil {
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return errors.New("want a JSON object")
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string) // an object's keys are strings
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if err := field(key, raw); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	return nil
}
