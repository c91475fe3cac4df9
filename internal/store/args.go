package store

import (
	"strings"
	"unicode/utf8"
)

// Small helpers for building query arguments.

// placeholders is n comma-separated '?' (for an IN list or a VALUES row).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// idList is the placeholders and arguments of an IN list of ids.
func idList(ids []int64) (string, []any) {
	return placeholders(len(ids)), int64sToAny(ids)
}

func int64sToAny(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// inChunks calls fn for each run of at most size values, in order, with the
// run's IN list "(?,…,?)" and the values as its arguments, so that no
// statement binds more parameters than the engines allow.
func inChunks(values []string, size int, fn func(in string, args []any) error) error {
	for start := 0; start < len(values); start += size {
		chunk := values[start:min(start+size, len(values))]
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		if err := fn("("+placeholders(len(chunk))+")", args); err != nil {
			return err
		}
	}
	return nil
}

// truncate bounds s to n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
