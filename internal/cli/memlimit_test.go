package cli

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMemorySize(t *testing.T) {
	for in, want := range map[string]int64{
		"512MiB": 512 << 20, "2GiB": 2 << 30, "1TiB": 1 << 40, "65536KiB": 64 << 20, "33554432": 32 << 20,
		"16777216B": 16 << 20, " 100MiB ": 100 << 20, "off": math.MaxInt64,
	} {
		if got, err := parseMemorySize(in); err != nil || got != want {
			t.Errorf("parseMemorySize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1MiB", "1.5GiB", "512MB", "10MiB", "0", "9999999999TiB"} {
		if got, err := parseMemorySize(in); err == nil {
			t.Errorf("parseMemorySize(%q) = %d, want an error", in, got)
		}
	}
}

func TestMemoryLimitDefault(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "300MiB")
	if n, from, err := memoryLimit(""); err != nil || n != 300<<20 || from != "GOMEMLIMIT" {
		t.Errorf("with GOMEMLIMIT: %d %q %v", n, from, err)
	}
	if n, from, err := memoryLimit("128MiB"); err != nil || n != 128<<20 || from != "--memory-limit" {
		t.Errorf("the flag wins over GOMEMLIMIT: %d %q %v", n, from, err)
	}
	if n, _, err := memoryLimit("off"); err != nil || n != math.MaxInt64 {
		t.Errorf("off: %d %v", n, err)
	}
	t.Setenv("GOMEMLIMIT", "")
	n, from, err := memoryLimit("")
	if err != nil || (n != math.MaxInt64 && n < minDefaultMemoryLimit) || !strings.HasPrefix(from, "default") {
		t.Errorf("default: %d %q %v", n, from, err)
	}
	if avail := availableMemory(); avail > 0 && n != max(avail/2, minDefaultMemoryLimit) {
		t.Errorf("default %d, want half of %d", n, avail)
	}
}

// A bad --memory-limit (or GOMEMLIMIT) is refused before the data
// directory is opened or created.
func TestServeMemoryLimitValidatedFirst(t *testing.T) {
	for _, tc := range []struct{ env, flag, want string }{
		{"", "lots", `--memory-limit "lots"`},
		{"", "8MiB", "at least 16MiB"},
		{"1.5GiB", "", `GOMEMLIMIT "1.5GiB"`},
	} {
		t.Setenv("GOMEMLIMIT", tc.env)
		dir := filepath.Join(t.TempDir(), "data")
		args := []string{"serve", "--vulndb-offline", "--data", dir, "--listen", "127.0.0.1:0"}
		if tc.flag != "" {
			args = append(args, "--memory-limit", tc.flag)
		}
		code, _, errs := run(t, "", args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%+v: exit %d, %q", tc, code, errs)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%+v: the data directory was created before the flag was checked (%v)", tc, err)
		}
	}
}
