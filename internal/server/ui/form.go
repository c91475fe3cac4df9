package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
)

// formNumber reads a whole-number form field: empty is 0 (the field's
// default); anything else must be a whole number, so that a typo is refused
// naming the field instead of silently becoming the default.
func formNumber(r *http.Request, field string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fault.Invalid(field, "%s %q: not a whole number; choose one of the offered values", field, v)
	}
	return n, nil
}
