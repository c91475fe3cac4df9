package reportio

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestBeginObjectAndDecodeArray(t *testing.T) {
	for in, want := range map[string]string{
		"":     "empty",
		"null": "empty",
		"[]":   "f.json: at byte 1: not a report of this format: tool report must be a JSON object",
		`{"a": 1, "items": [{"n": 1}, {"n": 2}], "b": [3]}`: "1,2 found",
		`{"a": 1}`:                   " not found",
		`{"items": 3}`:               "f.json: at byte 11: items: not a report of this format: items is 3, want an array",
		`{"items": [{"n": 1}, {"n":`: "f.json: at byte 20: items[]: truncated JSON: the file ends inside a value: the report is incomplete: unexpected EOF",
	} {
		dec := NewJSONDecoder(strings.NewReader(in), "f.json")
		empty, err := dec.BeginObject("tool report must be a JSON object")
		got := "empty"
		if err == nil && !empty {
			var ns []string
			var found bool
			found, err = DecodeArray(dec, "items", func(x struct{ N int }) error {
				ns = append(ns, string(rune('0'+x.N)))
				return nil
			})
			got = strings.Join(ns, ",") + map[bool]string{true: " found", false: " not found"}[found]
		}
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	_, err := NewJSONDecoder(strings.NewReader("[1]"), "f.json").BeginObject("x")
	if !errors.Is(err, ErrNotReport) {
		t.Errorf("array: %v, want ErrNotReport", err)
	}
}

func TestDecodeField(t *testing.T) {
	for in, want := range map[string]string{
		`{"name": "a", "other": {"x": [1]}, "port": 80}`: "a 80",
		`{"port": "80"}`: "f.json: at byte 5: site.port: json: cannot unmarshal string into Go value of type int",
	} {
		var name string
		var port int
		fields := map[string]any{"name": &name, "port": &port}
		dec := NewJSONDecoder(strings.NewReader(in), "f.json")
		_, err := dec.BeginObject("x")
		if err == nil {
			err = dec.Object(func(key string) error { return dec.DecodeField(key, "site.", fields) })
		}
		got := name + " " + strconv.Itoa(port)
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestObjects(t *testing.T) {
	for in, want := range map[string]string{
		`{"s": [{"n": 1}, {"n": 2}]}`: "1,2",
		`{"s": {"n": 3}}`:             "3",
		`{"s": null}`:                 "",
		`{"s": []}`:                   "",
		`{"s": "x"}`:                  "f.json: at byte 9: s: not a report of this format: s is x, want an array or an object",
		`{"s": [{"n": 1}, 2]}`:        "f.json: at byte 18: s[]: not a report of this format: s[] is 2, want an object",
		`{"s": [{"n": 1}`:             "f.json: at byte 15: truncated JSON: the file ends inside an object or array (2 still open): the report is incomplete: unexpected EOF",
	} {
		dec := NewJSONDecoder(strings.NewReader(in), "f.json")
		var ns []string
		_, err := dec.BeginObject("x")
		if err == nil {
			err = dec.Object(func(string) error {
				return dec.Objects("s", func() error {
					return dec.Object(func(k string) error {
						var n int
						err := dec.Decode(&n, k)
						ns = append(ns, strconv.Itoa(n))
						return err
					})
				})
			})
		}
		got := strings.Join(ns, ",")
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
