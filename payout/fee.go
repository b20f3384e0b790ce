package payout

// FeeCheck is how a payout's fee compares with the fee its provider
// reports, by CompareFee.
type FeeCheck struct {
	// Ours and Theirs are what counts in our and the provider's fee totals,
	// in minor units of each side's currency: both 0 when not compared.
	Ours, Theirs int64
	// Differs is true for a fee difference.
	Differs bool
}

// CompareFee is reconciliation's one fee rule, which the differences and
// the totals both follow so that they cannot disagree. ours is the fee
// payops recorded for a payout and theirs the fee the provider reports for
// it, in minor units of each side's currency, nil when there is none (as
// for a side that has no payout or no record at all); sameCurrency says
// whether the two sides are in one currency.
//
// A provider that reports no fee is not compared: nothing counts on either
// side. Otherwise no fee recorded in payops is 0.00, so it agrees with a
// reported 0.00; both count in the totals, and they differ when their minor
// units do in the same currency. In two currencies the payout is a currency
// difference, and its fees are not compared unit for unit.
func CompareFee(ours, theirs *int64, sameCurrency bool) FeeCheck {
	if theirs == nil {
		return FeeCheck{}
	}
	c := FeeCheck{Theirs: *theirs}
	if ours != nil {
		c.Ours = *ours
	}
	c.Differs = sameCurrency && c.Ours != c.Theirs
	return c
}

// MergeFee is the fee a payout keeps when an observation of it states one
// (observed, nil when it states none), given its fee before the observation
// and whether it was paid: it SUCCEEDED, or was reversed after it had (not
// a reversal after FAILED, which posted nothing). The observed fee replaces
// the one recorded, unless the recorded one is in the ledger already — the
// payout was paid with a fee above zero, which the fee posting recorded
// once — and the observation states another: a posting is never rewritten,
// so the posted fee stays, and posted says so (day-end reconciliation then
// shows the provider's fee against it, for finance to settle).
func MergeFee(paid bool, current, observed *int64) (next *int64, changed bool, posted *int64) {
	if observed == nil || (current != nil && *current == *observed) {
		return current, false, nil
	}
	if paid && current != nil && *current > 0 {
		return current, false, current
	}
	return observed, true, nil
}
