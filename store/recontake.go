package store

import (
	"database/sql"

	"payops/payout"
)

// The comparison of matchDay's stream, row by row, with the records.

// reconLine is one row of matchDay's stream, with what takeBatch finds
// for its provider payout id: the hash, the index's candidate record, and
// the record naming it (-1: none).
type reconLine struct {
	id, amount             int64
	fee                    sql.NullInt64
	currency, status, ppid string
	hash                   uint64
	candidate              uint32
	record                 int
}

// takeBatch takes a batch of matchDay's rows in four passes: hash each
// one's provider payout id, read each one's slot of the records' index,
// confirm each candidate against its record's id, then compare each with
// its record (take). The slots and the records' ids are read in loops of
// their own, each read independent of the one before, so that the
// processor has many of their cache misses in flight at once instead of
// one at a time.
func (m *reconMatcher) takeBatch(lines []reconLine, slow []reconSlowRow) []reconSlowRow {
	for k := range lines {
		if l := &lines[k]; l.ppid != "" {
			l.hash = m.byPPID.hashOf(l.ppid)
		}
	}
	for k := range lines {
		if l := &lines[k]; l.ppid != "" {
			l.candidate = m.byPPID.candidate(l.hash)
		}
	}
	for k := range lines {
		l := &lines[k]
		l.record = -1
		if l.ppid != "" {
			l.record = orNone(m.byPPID.confirm(l.candidate, l.ppid))
		}
	}
	for k := range lines {
		slow = m.take(&lines[k], slow)
	}
	return slow
}

// take compares one row of matchDay's stream with the record naming its
// provider payout id: an agreeing pair goes to the totals, anything else
// to slow.
func (m *reconMatcher) take(l *reconLine, slow []reconSlowRow) []reconSlowRow {
	id, amount, fee, currency, status, ppid := l.id, l.amount, l.fee, l.currency, l.status, l.ppid
	i := l.record
	if i >= 0 && !m.matched[i] {
		r := &m.records[i]
		sameCurrency := currency == r.Amount.Currency
		var ourFee *int64
		if fee.Valid {
			ourFee = &fee.Int64
		}
		fc := payout.CompareFee(ourFee, r.Fee, sameCurrency)
		if amount == r.Amount.Minor && sameCurrency && status == string(r.Status) && !fc.Differs {
			m.matched[i] = true
			t := m.total(r.Amount.Currency)
			t.OursCount++
			t.OursSum += amount
			t.OursFees += fc.Ours
			t.TheirsCount++
			t.TheirsSum += r.Amount.Minor
			t.TheirsFees += fc.Theirs
			return slow
		}
		// Taken: no other payout of the day names this id.
		m.matched[i] = true
	} else {
		i = -1
	}
	p := reconPayout{ID: id, PPID: ppid, Amount: amount, Currency: currency, Status: status}
	if fee.Valid {
		f := fee.Int64
		p.Fee = &f
	}
	return append(slow, reconSlowRow{p, i})
}
