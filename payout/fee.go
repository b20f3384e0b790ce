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
