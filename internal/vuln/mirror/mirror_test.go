package mirror

import "testing"

func TestSplitNamesSources(t *testing.T) {
	src := Sources{NVD: "https://m/nvd", KEV: "https://m/kev.json", NVDAPIKey: "k"}.WithOSV("https://m/osv/", []string{"Go", "crates.io", "Red Hat"})
	var names []string
	for _, n := range src.Split() {
		names = append(names, n.Name)
		if n.Name == "nvd" && n.Only.NVDAPIKey != "k" {
			t.Error("the NVD source lost its API key")
		}
		if n.Name == "osv/Red Hat" && (len(n.Only.OSV) != 1 || n.Only.OSV[0] != "https://m/osv/Red%20Hat/all.zip" || n.Only.NVD != "") {
			t.Errorf("osv/Red Hat only fetches %+v", n.Only)
		}
	}
	want := []string{"osv/Go", "osv/crates.io", "osv/Red Hat", "nvd", "kev"}
	if len(names) != len(want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("names %v, want %v", names, want)
		}
	}
	if got := (Sources{}).WithOSV("", []string{"Go"}).Split(); len(got) != 0 {
		t.Errorf("empty base still fetches OSV: %+v", got)
	}
}
