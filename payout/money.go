package payout

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Money is an amount in a currency's minor units (paise, cents). It is never
// a float.
type Money struct {
	Minor    int64
	Currency string
}

// currencyExponents gives the ISO 4217 minor-unit exponent of each currency
// payops accepts. A currency not listed is refused rather than guessed.
var currencyExponents = map[string]int{
	"INR": 2, "IDR": 0, "PHP": 2, "VND": 0, "THB": 2, "MYR": 2, "SGD": 2,
	"USD": 2, "EUR": 2, "GBP": 2, "AED": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3,
}

// ErrCurrency is returned for a currency payops does not know.
var ErrCurrency = errors.New("unknown currency")

// Exponent returns the number of minor-unit digits of currency, or
// ErrCurrency.
func Exponent(currency string) (int, error) {
	e, ok := currencyExponents[currency]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrCurrency, currency)
	}
	return e, nil
}

// ParseMoney parses a decimal amount in major units ("1250.50") for currency
// exactly. It refuses signs, exponents, more decimals than the currency has,
// and amounts that overflow int64 minor units.
func ParseMoney(amount, currency string) (Money, error) {
	exp, err := Exponent(currency)
	if err != nil {
		return Money{}, err
	}
	if strings.HasPrefix(amount, "-") {
		return Money{}, fmt.Errorf("amount %q is negative: amounts are more than zero (a reversal is a status)", Echo(amount))
	}
	whole, frac, hasDot := strings.Cut(amount, ".")
	if whole == "" || (hasDot && frac == "") || !digits(whole) || !digits(frac) {
		return Money{}, fmt.Errorf("amount %q is not a decimal number like 1250.50", Echo(amount))
	}
	if len(frac) > exp {
		return Money{}, fmt.Errorf("amount %q has more than %d decimals, the most %s has", Echo(amount), exp, currency)
	}
	s := whole + frac + strings.Repeat("0", exp-len(frac))
	minor, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("amount %q is too large", Echo(amount))
	}
	return Money{Minor: minor, Currency: currency}, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Decimal returns the amount in major units with exactly the currency's
// number of decimals, without grouping: "1250.50".
func (m Money) Decimal() string {
	exp := currencyExponents[m.Currency]
	neg := m.Minor < 0
	u := uint64(m.Minor)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// String returns the amount for people: grouped by thousands (Indian lakh
// grouping for INR) and followed by the currency, "1,25,000.00 INR".
func (m Money) String() string {
	d := m.Decimal()
	sign := ""
	if strings.HasPrefix(d, "-") {
		sign, d = "-", d[1:]
	}
	whole, frac, hasFrac := strings.Cut(d, ".")
	whole = group(whole, m.Currency == "INR")
	if hasFrac {
		whole += "." + frac
	}
	return sign + whole + " " + m.Currency
}

func group(s string, indian bool) string {
	if len(s) <= 3 {
		return s
	}
	head, tail := s[:len(s)-3], s[len(s)-3:]
	size := 3
	if indian {
		size = 2
	}
	var parts []string
	for len(head) > size {
		parts = append([]string{head[len(head)-size:]}, parts...)
		head = head[:len(head)-size]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(append(parts, tail), ",")
}

// Currencies returns the currencies payops knows, sorted.
func Currencies() []string {
	out := make([]string, 0, len(currencyExponents))
	for c := range currencyExponents {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
