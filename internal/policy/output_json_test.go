package policy

import (
	"strings"
	"testing"
)

// JSONString is WriteJSON's contract byte for byte, built without the
// copies (TestJSONStringSameAsWriteJSON covers empty, nil and non-ASCII
// reports, HTML characters, exceptions and expired exceptions).
func TestJSONStringSameAsWriteJSON(t *testing.T) {
	x := &Exception{Rule: "no-kev", Expires: "2030-01-01", Approver: "ana", Reason: "r"}
	reports := map[string]*Report{
		"nil violations":   {Passed: true},
		"empty":            {Passed: true, Violations: []Violation{}, ExpiredExceptions: []ExpiredException{}},
		"one":              {Violations: []Violation{{Rule: "r", Severity: "high", Subject: "a 1", Message: "m"}}, ExpiredExceptions: []ExpiredException{}},
		"html and unicode": {Violations: []Violation{{Rule: "r<1>", Severity: "high", Subject: "a&b", Message: "ü \u2028 \"q\" <script>"}, {Rule: "s", Subject: "x", Excepted: true, Exception: x}}},
		"expired": {Violations: []Violation{{Rule: "r", Message: "1"}, {Rule: "r", Message: "2"}, {Rule: "r", Message: "3"}},
			ExpiredExceptions: []ExpiredException{{Rule: "r", Match: Match{ID: "CVE-1", Component: "c"}, Expires: "2020-01-01"}}},
	}
	for name, r := range reports {
		var want strings.Builder
		if err := WriteJSON(&want, r); err != nil {
			t.Fatal(err)
		}
		got, err := JSONString(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want.String() {
			t.Errorf("%s:\ngot  %q\nwant %q", name, got, want.String())
		}
	}
}
