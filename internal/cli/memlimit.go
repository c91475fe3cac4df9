package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// minDefaultMemoryLimit is the smallest soft memory limit serve picks by
// itself: the server's live heap reaches ~130 MiB while two argon2id hashes
// (64 MiB each, identity.HashConcurrency) are computed.
const minDefaultMemoryLimit = 256 << 20

// memoryLimit resolves serve's --memory-limit: "" is the default (GOMEMLIMIT
// when it is set, which the runtime has already applied; otherwise half of
// the memory the process may use, its cgroup's memory.max or the machine's
// RAM, and at least 256 MiB); "off" turns the soft limit off; otherwise a
// size in GOMEMLIMIT's syntax (bytes, or B, KiB, MiB, GiB, TiB). It returns
// the limit in bytes (math.MaxInt64: none) and where it came from.
func memoryLimit(flag string) (int64, string, error) {
	switch strings.TrimSpace(flag) {
	case "":
		if env := os.Getenv("GOMEMLIMIT"); env != "" {
			n, err := parseMemorySize(env)
			if err != nil {
				return 0, "", fmt.Errorf("GOMEMLIMIT %q: %w", env, err)
			}
			return n, "GOMEMLIMIT", nil
		}
		total := availableMemory()
		if total <= 0 {
			return math.MaxInt64, "default (memory size unknown: off)", nil
		}
		return max(total/2, minDefaultMemoryLimit), "default (half of the memory available)", nil
	case "off":
		return math.MaxInt64, "--memory-limit", nil
	}
	n, err := parseMemorySize(flag)
	if err != nil {
		return 0, "", fmt.Errorf("--memory-limit %q: %w", flag, err)
	}
	return n, "--memory-limit", nil
}

// parseMemorySize reads a size as GOMEMLIMIT does: a non-negative integer
// with an optional unit B, KiB, MiB, GiB or TiB ("off" is handled by the
// caller). Sizes under 16 MiB are refused: the server could not run.
func parseMemorySize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return math.MaxInt64, nil
	}
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 512MiB or 2GiB, or off")
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("too large")
	}
	n *= mult
	if n < 16<<20 {
		return 0, fmt.Errorf("at least 16MiB (the server needs that much to run)")
	}
	return n, nil
}

// availableMemory is the memory the process may use: its cgroup v2
// memory.max when set, else MemTotal of /proc/meminfo; 0 when unknown.
func availableMemory() int64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// applyMemoryLimit sets the soft memory limit (debug.SetMemoryLimit).
func applyMemoryLimit(n int64) { debug.SetMemoryLimit(n) }

// memoryLimitString shows a limit for the log: off, or MiB.
func memoryLimitString(n int64) string {
	if n == math.MaxInt64 {
		return "off"
	}
	return fmt.Sprintf("%dMiB", n>>20)
}
