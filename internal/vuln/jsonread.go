package vuln

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// JSONError is the ParseError for a JSON decoding error at field (a path
// such as "items[3]", empty for the document) of file: a value of the wrong
// type names the field inside it.
func JSONError(file, field string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ParseError{File: file, Field: strings.TrimPrefix(field+"."+te.Field, "."), Err: err}
	}
	return &ParseError{File: file, Field: field, Err: fmt.Errorf("JSON: %w", err)}
}

// ReadObjectArray reads the members of a JSON object whose opening brace dec
// has read, up to and including its closing brace. Members other than key
// are skipped; key's value must be an array, and elems reads its elements
// up to and including the closing bracket. An object without key is not the
// feed: the error names key with the message missing.
func ReadObjectArray(dec *json.Decoder, file, key, missing string, elems func() error) error {
	seen := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return JSONError(file, "", err)
		}
		name, _ := t.(string)
		if name != key {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return JSONError(file, name, err)
			}
			continue
		}
		seen = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return Errorf(file, key, "not an array")
		}
		if err := elems(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return JSONError(file, "", err)
	}
	if !seen {
		return Errorf(file, key, "%s", missing)
	}
	return nil
}

// DecodeArray decodes the elements of the JSON array whose opening bracket
// dec has read, up to and including its closing bracket, handing each to fn
// with its field (field[i]). An element that does not decode is a JSONError
// naming it.
func DecodeArray[T any](dec *json.Decoder, file, field string, fn func(field string, it *T) error) error {
	for i := 0; dec.More(); i++ {
		f := fmt.Sprintf("%s[%d]", field, i)
		var it T
		if err := dec.Decode(&it); err != nil {
			return JSONError(file, f, err)
		}
		if err := fn(f, &it); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return JSONError(file, field, err)
	}
	return nil
}
