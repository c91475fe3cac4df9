package policy

import (
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// LicenseExpression joins a component's declared licences into one SPDX
// expression (AND: the component carries all of them). Compound entries
// are parenthesised. It returns "" when there is none.
func LicenseExpression(licenses []string) string {
	var parts []string
	for _, l := range licenses {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if len(licenses) > 1 && strings.ContainsAny(l, " ") {
			l = "(" + l + ")"
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " AND ")
}

// LicenseValid reports whether expr is a valid SPDX licence expression.
func LicenseValid(expr string) bool {
	if strings.TrimSpace(expr) == "" {
		return false
	}
	_, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return false
	}
	ok, _ := spdxexp.ValidateLicenses([]string{expr})
	return ok
}

// LicenseAllowed reports whether the SPDX expression can be satisfied
// using only the allowed licences (e.g. "MIT OR GPL-2.0-only" is allowed by
// [MIT]; "MIT AND GPL-2.0-only" is not). An invalid or empty expression is
// not allowed.
func LicenseAllowed(expr string, allowed []string) bool {
	if strings.TrimSpace(expr) == "" || len(allowed) == 0 {
		return false
	}
	ok, err := spdxexp.Satisfies(expr, allowed)
	return err == nil && ok
}

// LicenseRequiresAny reports whether every way of complying with the SPDX
// expression uses at least one of the listed licences (e.g. the copyleft
// list): "GPL-2.0-only" and "MIT AND LGPL-2.1-only" do, "MIT OR
// GPL-2.0-only" does not. An invalid or empty expression requires nothing
// (check component.license_valid to catch those).
func LicenseRequiresAny(expr string, listed []string) bool {
	if strings.TrimSpace(expr) == "" {
		return false
	}
	ids, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return false
	}
	deny := map[string]bool{}
	for _, l := range listed {
		deny[strings.ToUpper(l)] = true
	}
	var others []string
	hit := false
	for _, id := range ids {
		base := strings.ToUpper(id)
		if i := strings.Index(base, " WITH "); i >= 0 {
			base = base[:i]
		}
		if deny[base] || deny[strings.TrimSuffix(base, "+")] {
			hit = true
			continue
		}
		others = append(others, id)
	}
	if !hit {
		return false
	}
	if len(others) == 0 {
		return true
	}
	ok, err := spdxexp.Satisfies(expr, others)
	return err == nil && !ok
}
