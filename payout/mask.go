package payout

import "strings"

// Mask hides all but the last four characters of an account number or
// secret, for pages and logs: "XXXXXX7890".
func Mask(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= 4 {
		return strings.Repeat("X", len(s))
	}
	return strings.Repeat("X", len(s)-4) + s[len(s)-4:]
}
