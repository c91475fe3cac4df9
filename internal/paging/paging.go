// Package paging holds the bounds of a page of results, shared by the store
// (which clamps every list to them) and the use cases and handlers that
// ask for a page.
package paging

// Default is the page size when none is asked for; Max the largest page
// any list returns.
const (
	Default = 50
	Max     = 500
)

// Clamp is n bounded to a page: Default when n is not positive, at most Max.
func Clamp(n int) int {
	if n <= 0 {
		return Default
	}
	return min(n, Max)
}
