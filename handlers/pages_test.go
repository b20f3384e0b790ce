package handlers

import (
	"errors"
	"strconv"
	"testing"
)

// The numbered lists (holds, exceptions, stuck) read ?page= and link their
// neighbours one way.
func TestPageNumberAndLinks(t *testing.T) {
	for s, want := range map[string]int{"": 1, "1": 1, "7": 7} {
		if n, err := pageNumber(s); err != nil || n != want {
			t.Errorf("pageNumber(%q) = %d, %v; want %d", s, n, err, want)
		}
	}
	for _, bad := range []string{"0", "-1", "x", "1.5", "100001"} {
		if _, err := pageNumber(bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("pageNumber(%q): %v, want a bad request", bad, err)
		}
	}
	link := func(n int) string { return withQuery("/holds", "page="+strconv.Itoa(n)) }
	if prev, next := pageLinks(1, 3, link); prev != "" || next != "/holds?page=2" {
		t.Errorf("page 1 of 3: %q %q", prev, next)
	}
	if prev, next := pageLinks(3, 3, link); prev != "/holds?page=2" || next != "" {
		t.Errorf("page 3 of 3: %q %q", prev, next)
	}
	if pagesOf(0, 50) != 0 || pagesOf(50, 50) != 1 || pagesOf(51, 50) != 2 {
		t.Error("pagesOf")
	}
	if withQuery("/payouts/stuck", "") != "/payouts/stuck" {
		t.Error("withQuery with no query")
	}
}
