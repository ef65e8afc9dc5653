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
