// Package strictjson decodes exactly one JSON object, rejecting unknown
// fields and trailing data: the wire shapes of docs/contract.md §2 and §4 allow no
// extras.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Decode decodes b into v strictly.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after object")
	}
	return nil
}
