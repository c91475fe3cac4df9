package csaf

import (
	"testing"

	"github.com/rampart-security/rampart/internal/fuzzseed"
)

// FuzzValidate: the validator never panics on any input.
func FuzzValidate(f *testing.F) {
	fuzzseed.Glob(f, "testdata/*.json")
	f.Add([]byte(`{"document":{"tracking":{"version":"1.0.0-rc.1+b","revision_history":[{"number":"0.9.0","date":"x"}]}}}`))
	f.Add([]byte(`{"product_tree":{"relationships":[{"full_product_name":{"product_id":"a"},"product_reference":"a","relates_to_product_reference":"a"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		res, err := Validate(data)
		if err == nil && res.Failures == nil {
			t.Fatal("nil failures")
		}
	})
}
