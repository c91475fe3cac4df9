package inventory

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// TestProductValidate: the name is trimmed, criticality and exposure get
// their defaults, and each bad field is an invalid-input error naming it.
func TestProductValidate(t *testing.T) {
	p := Product{Name: "  Thermostat "}
	if err := p.Validate(); err != nil || p.Name != "Thermostat" || p.Criticality != 3 || p.Exposure != ExposureLocal {
		t.Fatalf("Validate = %v, product %+v", err, p)
	}
	for _, tc := range []struct {
		p     Product
		field string
	}{
		{Product{Name: " "}, "name"},
		{Product{Name: strings.Repeat("x", 201)}, "name"},
		{Product{Name: "a", Criticality: 6}, "criticality"},
		{Product{Name: "a", Exposure: "cloud"}, "exposure"},
		{Product{Name: "a", Description: strings.Repeat("d", MaxDescription+1)}, "description"},
		{Product{Name: "a", Owner: strings.Repeat("o", MaxOwner+1)}, "owner"},
	} {
		err := tc.p.Validate()
		if !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != tc.field {
			t.Errorf("Validate(%+v) = %v, want invalid %s", tc.p, err, tc.field)
		}
	}
}

// TestReleaseValidate: a new release defaults to development and its
// dates are not compared; a stored release needs a status and a support
// end not before its release date.
func TestReleaseValidate(t *testing.T) {
	day := func(s string) *time.Time { d, _ := time.Parse("2006-01-02", s); return &d }
	r := Release{Version: " 1.0 ", ReleaseDate: day("2026-02-01"), SupportEnd: day("2026-01-01")}
	if err := r.ValidateNew(); err != nil || r.Version != "1.0" || r.Status != StatusDevelopment {
		t.Fatalf("ValidateNew = %v, release %+v", err, r)
	}
	if err := r.Validate(); !errors.Is(err, fault.ErrInvalid) || fault.FieldOf(err) != "support_end" {
		t.Errorf("Validate (support end before release) = %v", err)
	}
	if err := (&Release{Version: "1.0"}).Validate(); fault.FieldOf(err) != "status" {
		t.Errorf("Validate (no status) = %v", err)
	}
	if err := (&Release{Version: " ", Status: StatusShipped}).ValidateNew(); fault.FieldOf(err) != "version" {
		t.Errorf("ValidateNew (no version) = %v", err)
	}
	long := strings.Repeat("1", MaxVersion+1)
	if err := (&Release{Version: long}).ValidateNew(); fault.FieldOf(err) != "version" {
		t.Errorf("ValidateNew (version of %d bytes) = %v", len(long), err)
	}
	if err := (&Release{Version: long, Status: StatusShipped}).Validate(); fault.FieldOf(err) != "version" {
		t.Errorf("Validate (version of %d bytes) = %v", len(long), err)
	}
}

// TestQueryValidate: an unknown component sort key, an empty search and a
// bad version range are invalid-input errors naming their field.
func TestQueryValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"sort name", ComponentQuery{Sort: "name"}.Validate(), ""},
		{"sort default", ComponentQuery{}.Validate(), ""},
		{"sort unknown", ComponentQuery{Sort: "size"}.Validate(), "sort"},
		{"search", SearchQuery{Q: "openssl", Version: ">=1.0"}.Validate(), ""},
		{"search empty", SearchQuery{Q: "  "}.Validate(), "q"},
		{"search bad range", SearchQuery{Q: "openssl", Version: ">="}.Validate(), "version"},
	} {
		if (tc.err == nil) != (tc.field == "") || (tc.err != nil && (!errors.Is(tc.err, fault.ErrInvalid) || fault.FieldOf(tc.err) != tc.field)) {
			t.Errorf("%s: %v, want field %q", tc.name, tc.err, tc.field)
		}
	}
}
