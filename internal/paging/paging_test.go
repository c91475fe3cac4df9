package paging

import (
	"errors"
	"slices"
	"testing"
)

// pages serves items two at a time, the cursor being the index of the
// next page's first item; it fails when asked for the page at failAt.
func pages(items []int, failAt string, asked *[]string) func(after string) ([]int, string, error) {
	return func(after string) ([]int, string, error) {
		*asked = append(*asked, after)
		if after == failAt {
			return nil, "", errors.New("read failed")
		}
		i := 0
		if after != "" {
			i = int(after[0] - '0')
		}
		end := min(i+2, len(items))
		next := ""
		if end < len(items) {
			next = string(rune('0' + end))
		}
		return items[i:end], next, nil
	}
}

func TestAll(t *testing.T) {
	var asked []string
	var got []int
	for v, err := range All(pages([]int{1, 2, 3, 4, 5}, "-", &asked)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []int{1, 2, 3, 4, 5}) || !slices.Equal(asked, []string{"", "2", "4"}) {
		t.Errorf("items %v, cursors asked %q", got, asked)
	}

	// A failed read is yielded once, after the items before it, and ends
	// the walk.
	asked, got = nil, nil
	var errs int
	for v, err := range All(pages([]int{1, 2, 3, 4, 5}, "2", &asked)) {
		if err != nil {
			errs++
			continue
		}
		got = append(got, v)
	}
	if errs != 1 || !slices.Equal(got, []int{1, 2}) || !slices.Equal(asked, []string{"", "2"}) {
		t.Errorf("failed walk: %d errors, items %v, cursors asked %q", errs, got, asked)
	}

	// Stopping early reads no further page.
	asked = nil
	for v := range All(pages([]int{1, 2, 3, 4, 5}, "-", &asked)) {
		if v == 2 {
			break
		}
	}
	if !slices.Equal(asked, []string{""}) {
		t.Errorf("stopped walk asked for %q", asked)
	}

	// An empty list is one read and nothing yielded.
	asked = nil
	for range All(pages(nil, "-", &asked)) {
		t.Error("an item of an empty list")
	}
	if !slices.Equal(asked, []string{""}) {
		t.Errorf("empty list: cursors asked %q", asked)
	}
}
