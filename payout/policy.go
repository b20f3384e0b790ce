package payout

import (
	"fmt"
	"strings"
)

// Policy is the configuration the release gates apply everywhere; a
// market's launch document may set its own review thresholds
// (GateInput.Launch).
type Policy struct {
	// ReviewThresholds holds, per currency, the largest amount that goes out
	// without a compliance review. A currency without one needs none.
	ReviewThresholds map[string]Money
}

// ParsePolicy reads a policy from its configuration string: thresholds as
// "INR=200000.00,IDR=100000000".
func ParsePolicy(thresholds string) (Policy, error) {
	p := Policy{ReviewThresholds: map[string]Money{}}
	for _, item := range strings.Split(thresholds, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		cur, amount, ok := strings.Cut(item, "=")
		if !ok {
			return Policy{}, fmt.Errorf("review threshold %q is not CURRENCY=AMOUNT", item)
		}
		m, err := ParseMoney(strings.TrimSpace(amount), strings.TrimSpace(cur))
		if err != nil {
			return Policy{}, fmt.Errorf("review threshold %q: %w", item, err)
		}
		p.ReviewThresholds[m.Currency] = m
	}
	return p, nil
}

// Unreviewed lists, sorted, the currencies payops accepts that p sets no
// review threshold for: their payouts go without compliance review at any
// amount, unless a market's launch document sets one.
func (p Policy) Unreviewed() []string {
	var out []string
	for _, c := range Currencies() {
		if _, ok := p.ReviewThresholds[c]; !ok {
			out = append(out, c)
		}
	}
	return out
}
