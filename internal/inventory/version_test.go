package inventory

import "testing"

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"v1.2.3", "1.2.3", 0},
		{"1.0", "1.0.1", -1},
		{"1.10", "1.9", 1},
		{"1.1.1", "1.1.1a", -1},
		{"1.1.1w", "1.1.1k", 1},
		{"3.0.0-rc1", "3.0.0", -1},
		{"3.0.0~beta", "3.0.0", -1},
		{"2023.04", "2022.10", 1},
		{"1.36.1", "1.36.01", 0},
		{"5.15.0-91", "5.15.0", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestVersionRange(t *testing.T) {
	tests := []struct {
		rng string
		in  []string
		out []string
	}{
		{"3.0.x", []string{"3.0", "3.0.0", "3.0.13"}, []string{"3.1.0", "30.0", "3.00"}},
		{">=3.0.0 <3.1", []string{"3.0.0", "3.0.9"}, []string{"2.9", "3.1", "3.1.0"}},
		{">= 1.2, <= 1.4", []string{"1.2", "1.4"}, []string{"1.4.1"}},
		{"1.36.1", []string{"1.36.1"}, []string{"1.36.10"}},
		{"", []string{"anything"}, nil},
	}
	for _, tt := range tests {
		r, err := ParseVersionRange(tt.rng)
		if err != nil {
			t.Fatalf("ParseVersionRange(%q): %v", tt.rng, err)
		}
		for _, v := range tt.in {
			if !r.Contains(v) {
				t.Errorf("%q should contain %q", tt.rng, v)
			}
		}
		for _, v := range tt.out {
			if r.Contains(v) {
				t.Errorf("%q should not contain %q", tt.rng, v)
			}
		}
	}
	if _, err := ParseVersionRange(">="); err == nil {
		t.Error("ParseVersionRange(\">=\") should fail: no version")
	}
}
