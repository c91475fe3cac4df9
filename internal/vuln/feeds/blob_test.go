package feeds

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rampart-security/rampart/internal/corpustest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestAdvisoryJSONRoundTrip checks that every merged corpus advisory (OSV,
// NVD, CVE 5, with KEV and EPSS) survives the JSON blob the store keeps, and
// logs the blob size.
func TestAdvisoryJSONRoundTrip(t *testing.T) {
	d, err := Load(context.Background(),
		corpustest.Dir(t, "osv", "go"), corpustest.Dir(t, "osv", "pypa"), corpustest.Dir(t, "osv", "almalinux"),
		corpustest.Dir(t, "nvd"), corpustest.Dir(t, "kev", "known_exploited_vulnerabilities.json"),
		corpustest.Dir(t, "epss", "epss_scores-2026-09-29-first99rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for i := range d.Advisories {
		a := &d.Advisories[i]
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		total += len(b)
		var back vuln.Advisory
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		if !reflect.DeepEqual(*a, back) {
			av, bv := reflect.ValueOf(*a), reflect.ValueOf(back)
			for f := 0; f < av.NumField(); f++ {
				if !reflect.DeepEqual(av.Field(f).Interface(), bv.Field(f).Interface()) {
					t.Errorf("%s: field %s changed: %#v -> %#v", a.ID, av.Type().Field(f).Name, av.Field(f).Interface(), bv.Field(f).Interface())
				}
			}
			t.FailNow()
		}
		if len(a.IndexKeys()) == 0 && len(a.Affected)+len(a.Configurations) > 0 {
			t.Errorf("%s: affected data but no index keys", a.ID)
		}
	}
	t.Logf("%d advisories, %.0f bytes of JSON each on average", len(d.Advisories), float64(total)/float64(len(d.Advisories)))
}
