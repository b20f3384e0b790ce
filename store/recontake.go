package store

import (
	"bytes"
	"database/sql"
	"fmt"
	"strconv"

	"payops/payout"
)

// The comparison of matchDay's stream, row by row, with the records.

// splitReconLine splits one row of matchDay's stream; the byte slices
// point into line.
func splitReconLine(line []byte) (id, amount int64, fee sql.NullInt64, currency, status, ppid []byte, err error) {
	var f [5][]byte
	rest := line
	for k := range f {
		c := bytes.IndexByte(rest, ',')
		if c < 0 {
			return 0, 0, fee, nil, nil, nil, fmt.Errorf("malformed row %q", line)
		}
		f[k], rest = rest[:c], rest[c+1:]
	}
	if id, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil {
		return
	}
	if amount, err = strconv.ParseInt(string(f[1]), 10, 64); err != nil {
		return
	}
	if len(f[2]) > 0 {
		if fee.Int64, err = strconv.ParseInt(string(f[2]), 10, 64); err != nil {
			return
		}
		fee.Valid = true
	}
	return id, amount, fee, f[3], f[4], rest, nil
}

// reconLine is one row of matchDay's stream, split (the byte slices point
// into the batch), with the index's candidate record for its provider
// payout id.
type reconLine struct {
	id, amount       int64
	fee              sql.NullInt64
	currency, status []byte
	ppid             []byte
	hash             uint64
	candidate        uint32
}

// takeBatch takes a batch of matchDay's rows in three passes: split and
// hash each, then read each one's slot of the records' index, then compare
// each with its record (take). The slots and the records are read in loops
// of their own, each read independent of the one before, so that the
// processor has many of their cache misses in flight at once instead of
// one at a time.
func (m *reconMatcher) takeBatch(b reconRows, slow []reconSlowRow) ([]reconSlowRow, error) {
	lines := m.lines[:0]
	start := 0
	for _, end := range b.ends {
		var l reconLine
		var err error
		l.id, l.amount, l.fee, l.currency, l.status, l.ppid, err = splitReconLine(b.buf[start:end])
		if err != nil {
			return slow, err
		}
		if len(l.ppid) > 0 {
			l.hash = m.byPPID.hashOf(l.ppid)
		}
		lines = append(lines, l)
		start = end
	}
	m.lines = lines
	for k := range lines {
		if len(lines[k].ppid) > 0 {
			lines[k].candidate = m.byPPID.candidate(lines[k].hash)
		}
	}
	for k := range lines {
		slow = m.take(&lines[k], slow)
	}
	return slow, nil
}

// take compares one row of matchDay's stream with the record naming its
// provider payout id: an agreeing pair goes to the totals, anything else
// to slow (copied: the batch is reused).
func (m *reconMatcher) take(l *reconLine, slow []reconSlowRow) []reconSlowRow {
	id, amount, fee, currency, status, ppid := l.id, l.amount, l.fee, l.currency, l.status, l.ppid
	i, named := -1, false
	if len(ppid) > 0 {
		i, named = m.byPPID.confirm(l.candidate, string(ppid))
		named = named && !m.matched[i]
	}
	if named {
		r := &m.records[i]
		sameCurrency := string(currency) == r.Amount.Currency
		var ourFee *int64
		if fee.Valid {
			ourFee = &fee.Int64
		}
		fc := payout.CompareFee(ourFee, r.Fee, sameCurrency)
		if amount == r.Amount.Minor && sameCurrency && string(status) == string(r.Status) && !fc.Differs {
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
	p := reconPayout{ID: id, PPID: string(ppid), Amount: amount, Currency: string(currency), Status: string(status)}
	if fee.Valid {
		f := fee.Int64
		p.Fee = &f
	}
	return append(slow, reconSlowRow{p, i})
}
