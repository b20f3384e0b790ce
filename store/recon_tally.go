package store

import (
	"sort"

	"payops/payout"
)

// How a day's matches become its differences and totals.

// pair records payout p matched with record i: its differences, if any,
// and both sides in the totals, the fees as the fee rule counts them.
func (m *reconMatcher) pair(p *reconPayout, i int) {
	m.matched[i] = true
	r := &m.records[i]
	fc := payout.CompareFee(p.Fee, r.Fee, p.Currency == r.Amount.Currency)
	m.ours(p, fc)
	m.theirs(i, fc)
	mismatch := func(kind string) {
		d := m.diff(kind, p, i)
		m.diffs = append(m.diffs, d)
	}
	if p.Amount != r.Amount.Minor {
		mismatch("amount_mismatch")
	}
	if p.Currency != r.Amount.Currency {
		mismatch("currency_mismatch")
	}
	if p.Status != string(r.Status) {
		mismatch("status_mismatch")
	}
	if fc.Differs {
		mismatch("fee_mismatch")
	}
}

// ours adds payout p to our side of the totals, with the fee fc counts.
func (m *reconMatcher) ours(p *reconPayout, fc payout.FeeCheck) {
	t := m.total(p.Currency)
	t.OursCount++
	t.OursSum += p.Amount
	t.OursFees += fc.Ours
}

// theirs adds record i to the provider's side of the totals, with the fee
// fc counts.
func (m *reconMatcher) theirs(i int, fc payout.FeeCheck) {
	r := &m.records[i]
	t := m.total(r.Amount.Currency)
	t.TheirsCount++
	t.TheirsSum += r.Amount.Minor
	t.TheirsFees += fc.Theirs
}

func (m *reconMatcher) total(currency string) *ReconTotal {
	t := m.totals[currency]
	if t == nil {
		t = &ReconTotal{Currency: currency}
		m.totals[currency] = t
	}
	return t
}

// diff is a difference of kind between payout p and record i; either may
// be missing (nil, -1).
func (m *reconMatcher) diff(kind string, p *reconPayout, i int) ReconDiff {
	d := ReconDiff{Kind: kind}
	if p != nil {
		d.PayoutID, d.ReferenceID, d.ProviderPayoutID = &p.ID, p.Ref, p.PPID
		d.OursAmountMinor, d.OursCurrency, d.OursStatus, d.OursFeeMinor = &p.Amount, &p.Currency, &p.Status, p.Fee
	}
	if i >= 0 {
		r := &m.records[i]
		no := i + 1
		d.RecordNo = &no
		if d.ReferenceID == "" {
			d.ReferenceID = r.ReferenceID
		}
		if d.ProviderPayoutID == "" {
			d.ProviderPayoutID = r.ProviderPayoutID
		}
		amount, currency, status := r.Amount.Minor, r.Amount.Currency, string(r.Status)
		d.TheirsAmountMinor, d.TheirsCurrency, d.TheirsStatus, d.TheirsFeeMinor = &amount, &currency, &status, r.Fee
	}
	return d
}

// result returns the differences, in the order they were found, and the
// totals by currency.
func (m *reconMatcher) result() ([]ReconDiff, []ReconTotal) {
	totals := make([]ReconTotal, 0, len(m.totals))
	for _, t := range m.totals {
		totals = append(totals, *t)
	}
	sort.Slice(totals, func(a, b int) bool { return totals[a].Currency < totals[b].Currency })
	return m.diffs, totals
}
