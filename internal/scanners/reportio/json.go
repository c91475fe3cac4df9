package reportio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSONDecoder streams a JSON report token by token, naming the file and
// byte offset in every error.
type JSONDecoder struct {
	d     *json.Decoder
	file  string
	depth int // open objects and arrays read with Token
}

// NewJSONDecoder reads r, named file in errors.
func NewJSONDecoder(r io.Reader, file string) *JSONDecoder {
	d := json.NewDecoder(Decode(LimitReader(r)))
	d.UseNumber()
	return &JSONDecoder{d: d, file: file}
}

// Errorf returns a ParseError at the current offset.
func (j *JSONDecoder) Errorf(err error, format string, args ...any) error {
	return &ParseError{File: j.file, Offset: j.d.InputOffset(), Err: explain(err, format, args...)}
}

func (j *JSONDecoder) wrap(err error, field string) error {
	if err == io.EOF && j.depth > 0 {
		// json.Decoder's Token reports a stream that stops inside an
		// object as a plain EOF: that is a truncated file.
		return &ParseError{File: j.file, Offset: j.d.InputOffset(), Field: field,
			Err: fmt.Errorf("truncated JSON: the file ends inside an object or array (%d still open): the report is incomplete: %w", j.depth, io.ErrUnexpectedEOF)}
	}
	if err == nil || err == io.EOF {
		return err
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	off := j.d.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
		err = fmt.Errorf("invalid JSON: %w", err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		off = te.Offset
		if field == "" {
			field = te.Field
		}
	}
	if err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("truncated JSON: the file ends inside a value: the report is incomplete: %w", err)
	}
	return &ParseError{File: j.file, Offset: off, Field: field, Err: err}
}

// Token returns the next token; io.EOF at a clean end.
func (j *JSONDecoder) Token() (json.Token, error) {
	t, err := j.d.Token()
	if d, ok := t.(json.Delim); ok && err == nil {
		if d == '{' || d == '[' {
			j.depth++
		} else {
			j.depth--
		}
	}
	return t, j.wrap(err, "")
}

// More reports whether the current array or object has another element.
func (j *JSONDecoder) More() bool { return j.d.More() }

// Decode decodes the next value into v; field names it in errors.
func (j *JSONDecoder) Decode(v any, field string) error {
	return j.wrap(j.d.Decode(v), field)
}

// Skip skips the next value.
func (j *JSONDecoder) Skip() error {
	var raw json.RawMessage
	return j.wrap(j.d.Decode(&raw), "")
}

// Offset is the current input offset.
func (j *JSONDecoder) Offset() int64 { return j.d.InputOffset() }

// Begin reads the first token. empty is true for an empty input or a
// top-level null (both mean "no findings"); otherwise delim is the opening
// '{' or '['. Any other value is ErrNotReport.
func (j *JSONDecoder) Begin() (delim json.Delim, empty bool, err error) {
	t, err := j.Token()
	if err == io.EOF {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	switch v := t.(type) {
	case nil:
		return 0, true, nil
	case json.Delim:
		return v, false, nil
	}
	return 0, false, &ParseError{File: j.file, Offset: j.d.InputOffset(), Err: fmt.Errorf("%w: top-level value is %T, want an object or array", ErrNotReport, t)}
}

// BeginObject is Begin for a report that must be a JSON object: a
// top-level array is ErrNotReport, explained by notObject ("gosec report
// must be a JSON object").
func (j *JSONDecoder) BeginObject(notObject string) (empty bool, err error) {
	delim, empty, err := j.Begin()
	if err != nil || empty {
		return empty, err
	}
	if delim != '{' {
		return false, NotReport(j.file, j.d.InputOffset(), "%s", notObject)
	}
	return false, nil
}

// Object iterates over the members of the object whose '{' was just read,
// calling fn with each key; fn must consume the value (Decode or Skip).
func (j *JSONDecoder) Object(fn func(key string) error) error {
	for j.d.More() {
		t, err := j.Token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return j.Errorf(nil, "object key is %v", t)
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	_, err := j.Token() // '}'
	if err == io.EOF {
		return j.Errorf(io.ErrUnexpectedEOF, "truncated JSON")
	}
	return err
}

// Array iterates over the array whose value comes next (null counts as an
// empty array), calling fn for each element; fn must consume it.
func (j *JSONDecoder) Array(field string, fn func() error) error {
	t, err := j.tokenIn(field)
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return &ParseError{File: j.file, Offset: j.d.InputOffset(), Field: field, Err: fmt.Errorf("%w: %s is %v, want an array", ErrNotReport, field, t)}
	}
	for j.d.More() {
		if err := fn(); err != nil {
			return err
		}
	}
	_, err = j.tokenIn(field) // ']'
	return err
}

// Objects iterates over the objects of the array whose value comes next,
// or over the one object when the value is an object (null counts as no
// object): writers that convert XML to JSON write a list of one element as
// the element itself. fn is called with each object's '{' read and must
// consume its members (Object); an element that is not an object is an
// error naming field[].
func (j *JSONDecoder) Objects(field string, fn func() error) error {
	t, err := j.tokenIn(field)
	if err != nil || t == nil {
		return err
	}
	d, _ := t.(json.Delim)
	switch d {
	case '{':
		return fn()
	case '[':
	default:
		return &ParseError{File: j.file, Offset: j.d.InputOffset(), Field: field, Err: fmt.Errorf("%w: %s is %v, want an array or an object", ErrNotReport, field, t)}
	}
	for j.d.More() {
		if err := j.ExpectObject(field + "[]"); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
	_, err = j.tokenIn(field) // ']'
	return err
}

// tokenIn reads the next token of the value field: the input ending there
// is a truncated file.
func (j *JSONDecoder) tokenIn(field string) (json.Token, error) {
	t, err := j.Token()
	if err == io.EOF {
		return nil, j.Errorf(io.ErrUnexpectedEOF, "truncated JSON in %s", field)
	}
	return t, err
}

// DecodeField is the body of an Object call over an object whose members
// a parser reads into its own variables: it decodes the value of key into
// fields[key] (named prefix+key in errors) and skips the value of a key
// fields does not list.
func (j *JSONDecoder) DecodeField(key, prefix string, fields map[string]any) error {
	dst, ok := fields[key]
	if !ok {
		return j.Skip()
	}
	return j.Decode(dst, prefix+key)
}

// DecodeArray reads the members of the object whose '{' was just read,
// skipping all but key, whose array it decodes one element at a time into
// a new T, calling fn with each. found reports whether the object has key,
// which a report's main array usually proves.
func DecodeArray[T any](j *JSONDecoder, key string, fn func(T) error) (found bool, err error) {
	err = j.Object(func(k string) error {
		if k != key {
			return j.Skip()
		}
		found = true
		return DecodeElements(j, key, fn)
	})
	return found, err
}

// DecodeElements iterates over the array whose value comes next (as
// Array: null counts as empty), decoding each element into a new T (an
// error names the field key[]) and calling fn with it.
func DecodeElements[T any](j *JSONDecoder, key string, fn func(T) error) error {
	return j.Array(key, func() error {
		var v T
		if err := j.Decode(&v, key+"[]"); err != nil {
			return err
		}
		return fn(v)
	})
}

// Known closes the read of a report's top-level object (err is what
// Object returned): a decoding error is returned as it is, and an object in
// which none of the keys that make a report of the format was seen (found
// false) is not such a report, as notReport explains.
func (j *JSONDecoder) Known(found bool, err error, notReport string) error {
	if err != nil {
		return err
	}
	if !found {
		return NotReport(j.file, j.Offset(), "%s", notReport)
	}
	return nil
}

// End reads the token closing the top-level array or object whose
// elements a parser read with More and Decode: a file that stops before
// it is truncated, not a complete report with fewer findings.
func (j *JSONDecoder) End() error {
	t, err := j.Token()
	if err == io.EOF {
		return j.Errorf(io.ErrUnexpectedEOF, "truncated JSON: the file ends before its closing bracket: the report is incomplete")
	}
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || (d != ']' && d != '}') {
		return j.Errorf(nil, "invalid JSON: %v where the document should end", t)
	}
	return nil
}

// ExpectObject reads the next token and fails unless it opens an object.
func (j *JSONDecoder) ExpectObject(field string) error {
	t, err := j.tokenIn(field)
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return &ParseError{File: j.file, Offset: j.d.InputOffset(), Field: field, Err: fmt.Errorf("%w: %s is %v, want an object", ErrNotReport, field, t)}
	}
	return nil
}

// JSONStart returns the first non-space byte of head after a UTF-8 BOM, or 0.
func JSONStart(head []byte) byte {
	b := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// HasKey reports whether head contains the JSON object key k (as "k"
// followed by optional space and a colon). A cheap detection test on the
// first kilobytes of a file.
func HasKey(head []byte, k string) bool {
	pat := []byte(`"` + k + `"`)
	for b := head; ; {
		i := bytes.Index(b, pat)
		if i < 0 {
			return false
		}
		rest := bytes.TrimLeft(b[i+len(pat):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return true
		}
		b = b[i+len(pat):]
	}
}
