package payout

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxTokenName bounds a token's name: who uses it ("marketplace-prod").
const maxTokenName = 100

// maxTokenRate bounds a token's own rate: far above any platform's need,
// and within the column's integer.
const maxTokenRate = 100_000

// ParseTokenName returns the name of an API token, trimmed, or why it cannot
// be one: from 1 to 100 characters of plain text.
func ParseTokenName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", fmt.Errorf("give the token a name: who uses it, such as marketplace-prod")
	case n > maxTokenName:
		return "", fmt.Errorf("the name must be at most %d characters (it has %d)", maxTokenName, n)
	case !utf8.ValidString(s) || containsControl(s):
		return "", fmt.Errorf("the name may not contain control characters")
	}
	return s, nil
}

// ParseTokenRate reads a token's own rate limit, requests a second: a whole
// number from 1 to 100,000, or empty for the default (PAYOPS_API_RATE),
// which is 0.
func ParseTokenRate(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxTokenRate {
		return 0, fmt.Errorf("the rate must be a whole number of requests a second from 1 to %d, or empty for the default",
			maxTokenRate)
	}
	return n, nil
}
