package reportio

import (
	"strconv"
	"strings"
	"testing"
)

func TestSeekHeader(t *testing.T) {
	for in, want := range map[string]string{
		"QID,IP\n1,a\n": "found QID,IP line 2: 1",
		"\"Report\",\"x\"\n\nTitle\nQID,IP\n1,a\n": "found QID,IP line 5: 1",
		"a\nb\nc\nQID,IP\n1,a\n":                   "not found c",     // past within=2
		"a\nb\n":                                   "not found <nil>", // the input ends
	} {
		c, err := NewCSVReader(strings.NewReader(in), "f.csv")
		if err != nil {
			t.Fatal(err)
		}
		found, err := c.SeekHeader(2, func() bool { return c.Has("QID", "IP") })
		if err != nil {
			t.Fatal(err)
		}
		got := "not found " + strings.Join(c.Header, ",")
		if c.Header == nil {
			got = "not found <nil>"
		}
		if found {
			if err := c.Next(); err != nil {
				t.Fatal(err)
			}
			got = "found " + strings.Join(c.Header, ",") + " line " + strconv.Itoa(c.Line()) + ": " + c.Get("qid")
		}
		if got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}
