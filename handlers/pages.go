package handlers

import (
	"strconv"
	"strings"
)

// pageNumber reads a numbered list's ?page= (1 when empty): a whole number
// from 1, else a 400 saying so.
func pageNumber(s string) (int, error) {
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100000 {
		return 0, BadRequest("The page number must be a whole number from 1.")
	}
	return n, nil
}

// pageLinks returns a numbered list's previous and next page links ("" at
// either end), link making the address of page n.
func pageLinks(page, pages int, link func(n int) string) (prev, next string) {
	if page > 1 {
		prev = link(page - 1)
	}
	if page < pages {
		next = link(page + 1)
	}
	return prev, next
}

// pagesOf is how many pages of size total makes.
func pagesOf(total, size int) int { return (total + size - 1) / size }

// withQuery joins a path and an encoded query, leaving out an empty one;
// the path may have a query already (views.PayoutPath's ?mode=test).
func withQuery(path, query string) string {
	switch {
	case query == "":
		return path
	case strings.Contains(path, "?"):
		return path + "&" + query
	}
	return path + "?" + query
}
