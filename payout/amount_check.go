package payout

import "fmt"

// AmountMismatch is how the amount a provider states for a payout differs
// from the payout's own: an under- or over-payment in the same currency, or
// another currency altogether.
type AmountMismatch struct {
	Ours, Theirs Money
	// Kind is "underpayment", "overpayment" or "currency".
	Kind string
	// Difference is theirs less ours (negative for an underpayment); nil
	// when the currencies differ and no difference can be taken.
	Difference *Money
}

// The kinds of AmountMismatch.
const (
	Underpayment     = "underpayment"
	Overpayment      = "overpayment"
	CurrencyMismatch = "currency"
)

// CompareAmount compares the amount a provider states (theirs, nil when its
// message states none) with the payout's (ours). It returns the mismatch
// and true when they differ, and false when they agree or theirs is nil.
// Whatever the payout's status does, a mismatch is a case for people: a
// payout that SUCCEEDED with less money must never settle silently.
func CompareAmount(ours Money, theirs *Money) (AmountMismatch, bool) {
	if theirs == nil || *theirs == ours {
		return AmountMismatch{}, false
	}
	m := AmountMismatch{Ours: ours, Theirs: *theirs, Kind: CurrencyMismatch}
	if theirs.Currency == ours.Currency {
		m.Difference = &Money{Minor: theirs.Minor - ours.Minor, Currency: ours.Currency}
		m.Kind = Overpayment
		if theirs.Minor < ours.Minor {
			m.Kind = Underpayment
		}
	}
	return m, true
}

// Summary says the mismatch in one line for the exceptions queue:
// "razorpayx states 900.00 INR for ORDER-7, 100.00 INR less than its
// 1,000.00 INR (underpayment)".
func (m AmountMismatch) Summary(ref, provider string) string {
	switch m.Kind {
	case Underpayment:
		short := Money{Minor: -m.Difference.Minor, Currency: m.Difference.Currency}
		return fmt.Sprintf("%s states %s for %s, %s less than its %s (underpayment)", provider, m.Theirs, ref, short, m.Ours)
	case Overpayment:
		return fmt.Sprintf("%s states %s for %s, %s more than its %s (overpayment)", provider, m.Theirs, ref, *m.Difference, m.Ours)
	}
	return fmt.Sprintf("%s states %s for %s, a payout of %s (another currency)", provider, m.Theirs, ref, m.Ours)
}

// Evidence is the mismatch as a case keeps it: ours, theirs and the
// difference, each exact in major units with its currency.
func (m AmountMismatch) Evidence() map[string]any {
	ev := map[string]any{"mismatch": m.Kind, "ours": m.Ours.String(), "theirs": m.Theirs.String(),
		"ours_minor": m.Ours.Minor, "theirs_minor": m.Theirs.Minor, "ours_currency": m.Ours.Currency,
		"theirs_currency": m.Theirs.Currency}
	if m.Difference != nil {
		ev["difference"], ev["difference_minor"] = m.Difference.String(), m.Difference.Minor
	} else {
		ev["difference"] = "not comparable: the currencies differ"
	}
	return ev
}
