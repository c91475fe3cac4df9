package web

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-security/rampart/internal/fault"
)

// TestDecodeJSON: an object decodes; an empty body, null (which would
// decode as "no fields" and let a PUT reset every setting), unknown fields,
// wrong types and trailing data are invalid input saying what to send.
func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	var v in
	if err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(` {"name":"a"} `)), &v); err != nil || v.Name != "a" {
		t.Fatalf("object: %v %+v", err, v)
	}
	for body, want := range map[string]string{
		"":              "request body: empty; send a JSON object",
		" null ":        "request body: null; send a JSON object",
		`{"nme":"a"}`:   `request body: json: unknown field "nme"`,
		`{"name":5}`:    "request body: json: cannot unmarshal number",
		`{"name":"a"}x`: "request body: unexpected data after the JSON object",
		`{"name":`:      "request body: unexpected EOF",
	} {
		err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &in{})
		if !errors.Is(err, fault.ErrInvalid) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("body %q: %v, want invalid %q…", body, err, want)
		}
	}
}

// FuzzDecodeJSON: any body decodes or is invalid input, never a panic or
// another kind of error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{``, `null`, `{"name":"a","n":[1,2]}`, `{"name":5}`, `[]`, `{} {}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v struct {
			Name string `json:"name"`
			N    []int  `json:"n"`
		}
		if err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &v); err != nil && !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("body %q: %v is not invalid input", body, err)
		}
	})
}
