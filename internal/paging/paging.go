// Package paging holds the bounds of a page of results, shared by the store
// (which clamps every list to them) and the use cases and handlers that
// ask for a page, and the walk over every page of a list.
package paging

import "iter"

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

// All yields every item of a list read a page at a time: page returns the
// page after the cursor after ("" for the first) and the cursor of the next
// page ("" after the last). A failed read is yielded as its error and ends
// the walk.
func All[T any](page func(after string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for after := ""; ; {
			items, next, err := page(after)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			after = next
		}
	}
}
