package csaf

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// version is a CSAF document version: integer versioning or semantic versioning.
type version struct {
	semantic            bool
	major, minor, patch uint64
	pre                 string
	build               string
	ok                  bool
}

var (
	intVersion = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	semVersion = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
)

func parseVersion(s string) version {
	if intVersion.MatchString(s) {
		n, err := strconv.ParseUint(s, 10, 64)
		return version{major: n, ok: err == nil}
	}
	m := semVersion.FindStringSubmatch(s)
	if m == nil {
		return version{}
	}
	v := version{semantic: true, pre: m[4], build: m[5], ok: true}
	var e1, e2, e3 error
	v.major, e1 = strconv.ParseUint(m[1], 10, 64)
	v.minor, e2 = strconv.ParseUint(m[2], 10, 64)
	v.patch, e3 = strconv.ParseUint(m[3], 10, 64)
	v.ok = e1 == nil && e2 == nil && e3 == nil
	return v
}

// isZero is true for 0 and 0.y.z.
func (v version) isZero() bool { return v.ok && v.major == 0 }

// compare orders versions by semantic-versioning precedence (build metadata ignored).
func (v version) compare(w version) int {
	for _, d := range [][2]uint64{{v.major, w.major}, {v.minor, w.minor}, {v.patch, w.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	return comparePre(v.pre, w.pre)
}

func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		an, aerr := strconv.ParseUint(as[i], 10, 64)
		bn, berr := strconv.ParseUint(bs[i], 10, 64)
		switch {
		case aerr == nil && berr == nil:
			if an < bn {
				return -1
			}
			return 1
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		case as[i] < bs[i]:
			return -1
		default:
			return 1
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}

// parseTime reads a CSAF date-time (RFC 3339); the zero time when invalid.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
