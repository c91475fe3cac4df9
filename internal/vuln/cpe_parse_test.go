package vuln

import "testing"

// go-cpe panics on some malformed names; ParseCPE must return an error.
func TestParseCPEMalformed(t *testing.T) {
	for _, s := range []string{"cpe:/%", "cpe:/a:%", "cpe:/a:ve%1", "cpe:2.3:a", "cpe:2.3:", "busybox"} {
		if _, err := ParseCPE(s); err == nil {
			t.Errorf("ParseCPE(%q) accepted a malformed name", s)
		}
	}
	if c, err := ParseCPE("cpe:/a:busybox:busybox:1.36.1"); err != nil || c.Product != "busybox" {
		t.Errorf("valid 2.2 URI: %v %+v", err, c)
	}
}
