package payout

import (
	"strings"
	"testing"
)

func TestParseTokenName(t *testing.T) {
	for _, c := range []struct {
		in, want, says string
	}{
		{"  marketplace-prod ", "marketplace-prod", ""},
		{"", "", "give the token a name"},
		{"   ", "", "give the token a name"},
		{strings.Repeat("n", 100), strings.Repeat("n", 100), ""},
		{strings.Repeat("n", 101), "", "at most 100"},
		{"a\x07b", "", "control characters"},
	} {
		got, err := ParseTokenName(c.in)
		if got != c.want || (err == nil) != (c.says == "") || (err != nil && !strings.Contains(err.Error(), c.says)) {
			t.Errorf("ParseTokenName(%q) = %q, %v; want %q, %q", c.in, got, err, c.want, c.says)
		}
	}
}

func TestParseTokenRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 0, true}, {" 25 ", 25, true}, {"1", 1, true}, {"100000", 100000, true},
		{"0", 0, false}, {"-3", 0, false}, {"2.5", 0, false}, {"100001", 0, false}, {"fast", 0, false},
		{"99999999999999999999", 0, false},
	} {
		got, err := ParseTokenRate(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseTokenRate(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
