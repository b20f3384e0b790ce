package payout

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Search is what a search box's text can mean: every reading of it that
// could find a payout. Identifiers (our reference, the provider's payout id,
// the UTR, a webhook's event id) are tried as they are wherever the text can
// be one (MayBeIdentifier: no white space); the rest only where the text has
// their shape.
type Search struct {
	Text    string  // trimmed: tried as every identifier it can be
	Last4   string  // four digits: the account's last four
	Amounts []Money // a decimal amount, in every currency it is exact in
	Name    string  // three or more characters with a letter: part of a beneficiary's name
}

// MayBeIdentifier reports whether text can be one of the identifiers a
// payout is found by: a reference (referencePattern), a provider's payout
// id, a UTR, a webhook's event id or webhook-id — none has white space. A
// text with a space ("mahesh jain") is only a name: looked up as each
// identifier (six lookups, one across every month of webhook deliveries)
// it cost more to plan than the name search takes to run.
func (s Search) MayBeIdentifier() bool {
	return s.Text != "" && !strings.ContainsFunc(s.Text, unicode.IsSpace)
}

// MinNameSearch is the fewest characters a name search takes: fewer would
// match nearly everyone and cannot use the name index.
const MinNameSearch = 3

// ParseSearch reads a search box's text.
func ParseSearch(q string) Search {
	// Spaces run together as one ("Imran  Qureshi" is "Imran Qureshi"):
	// no identifier has any.
	s := Search{Text: strings.Join(strings.Fields(q), " ")}
	if s.Text == "" {
		return s
	}
	if len(s.Text) == 4 && digits(s.Text) {
		s.Last4 = s.Text
	}
	// An account as pages show it masked, "XXXX4574", is its last four.
	if masked := strings.TrimLeft(s.Text, "Xx*•"); len(masked) == 4 && digits(masked) && len(masked) < len(s.Text) {
		s.Last4 = masked
	}
	if number, cur, ok := amountWithCurrency(s.Text); ok {
		// "₹1,250.00", "INR 1250", "1250 usd": an amount, in that currency
		// only; not a name.
		for _, m := range AmountsOf(number) {
			if m.Currency == cur {
				s.Amounts = append(s.Amounts, m)
			}
		}
		return s
	}
	s.Amounts = AmountsOf(s.Text)
	if len([]rune(s.Text)) >= MinNameSearch && strings.IndexFunc(s.Text, unicode.IsLetter) >= 0 {
		s.Name = s.Text
	}
	return s
}

// currencySymbols are the signs people write an amount with, for the
// currencies payops knows; "$" is read as US dollars. An ISO code (any
// case) is read too.
var currencySymbols = map[string]string{"₹": "INR", "rs.": "INR", "rs": "INR", "rp": "IDR", "₱": "PHP", "₫": "VND",
	"฿": "THB", "rm": "MYR", "s$": "SGD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW"}

// amountWithCurrency reads text written as an amount with its currency
// before or after it ("₹1,250.00", "Rs 1250", "INR 1250.00", "1250 INR"):
// the number and the currency, ok when text is that and nothing else.
func amountWithCurrency(text string) (number, currency string, ok bool) {
	t := strings.ToLower(strings.TrimSpace(text))
	isNumber := func(s string) bool {
		s = strings.TrimSpace(s)
		return s != "" && strings.Trim(s, "0123456789.,") == "" && strings.IndexFunc(s, unicode.IsDigit) >= 0
	}
	currencyOf := func(s string) (string, bool) {
		s = strings.TrimSpace(s)
		if c, ok := currencySymbols[s]; ok {
			return c, true
		}
		if _, ok := currencyExponents[strings.ToUpper(s)]; ok {
			return strings.ToUpper(s), true
		}
		return "", false
	}
	// The currency is the leading run before the first digit, or the
	// trailing run after the last one.
	first := strings.IndexFunc(t, unicode.IsDigit)
	last := strings.LastIndexFunc(t, unicode.IsDigit)
	if first < 0 {
		return "", "", false
	}
	if first > 0 {
		if c, ok := currencyOf(t[:first]); ok && isNumber(t[first:]) {
			return strings.TrimSpace(t[first:]), c, true
		}
	}
	if end := last + 1; end < len(t) {
		if c, ok := currencyOf(t[end:]); ok && isNumber(t[:end]) {
			return strings.TrimSpace(t[:end]), c, true
		}
	}
	return "", "", false
}

// AmountsOf returns the amount a decimal ("1250.00", "1,250.50") stands
// for in each currency payops knows where it is exact, sorted by currency;
// none for anything else. Trailing zero decimals are dropped first, so
// "1250.00" is also 1250 IDR.
func AmountsOf(s string) []Money {
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || !digits(frac) {
		return nil
	}
	frac = strings.TrimRight(frac, "0")
	var out []Money
	for c, exp := range currencyExponents {
		if len(frac) > exp {
			continue
		}
		minor, err := strconv.ParseInt(whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
		if err != nil || minor <= 0 {
			continue
		}
		out = append(out, Money{Minor: minor, Currency: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// MinorBounds returns, for each currency payops knows, the smallest and
// largest amount in minor units within [lo, hi], decimals in major units
// ("100", "2500.50"); an empty bound is open (0, or the largest int64).
// ok is false when a bound is not a decimal or lo is above hi.
func MinorBounds(lo, hi string) (bounds map[string][2]int64, ok bool) {
	bounds = map[string][2]int64{}
	for c, exp := range currencyExponents {
		min, okLo := scaled(lo, exp, true)
		max, okHi := scaled(hi, exp, false)
		if !okLo || !okHi {
			return nil, false
		}
		if lo == "" {
			min = 0
		}
		if hi == "" {
			max = 1<<63 - 1
		}
		bounds[c] = [2]int64{min, max}
	}
	if lo != "" && hi != "" {
		a, _ := scaled(lo, 6, false)
		b, _ := scaled(hi, 6, false)
		if a > b {
			return nil, false
		}
	}
	return bounds, true
}

// scaled returns the decimal s times 10^exp as a whole number, rounded up
// (up) or down when s has more decimals than exp; "" is 0.
func scaled(s string, exp int, up bool) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || !digits(frac) || len(whole) > 15 {
		return 0, false
	}
	rest := ""
	if len(frac) > exp {
		frac, rest = frac[:exp], frac[exp:]
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	if err != nil {
		return 0, false
	}
	if up && strings.Trim(rest, "0") != "" {
		n++
	}
	return n, true
}
