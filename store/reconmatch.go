package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// reconMatcher pairs one provider's payouts with its records for Reconcile.
// The records are indexed by provider payout id (the first record naming
// an id is the one that can match it); the day's payouts stream past that
// index once. Whatever is left (records of payouts sent on another day,
// records matched by reference only) is looked up afterwards, a few rows.
type reconMatcher struct {
	records []payout.ProviderRecord
	byPPID  ppidIndex
	matched []bool // by record

	pending []reconPayout // the day's payouts no record named by id yet
	diffs   []ReconDiff
	totals  map[string]*ReconTotal

	sentOther     []int64    // payouts of other days the day's records matched
	reportedOther []crossDay // payouts of the day another day's records matched
}

// reconPayout is our side of one payout.
type reconPayout struct {
	ID       int64  `db:"id"`
	Ref      string `db:"reference_id"`
	PPID     string `db:"provider_payout_id"`
	Amount   int64  `db:"amount_minor"`
	Currency string `db:"currency"`
	Status   string `db:"status"`
	Fee      *int64 `db:"fee_minor"`
}

const reconPayoutColumns = `id, reference_id, coalesce(provider_payout_id, '') AS provider_payout_id, amount_minor, currency,
	status, fee_minor`

// inDay is true for a payout of the day being reconciled: the provider's,
// sent in [$2, $3) (payouts_sent_live). The day a payout was sent, not
// created: one held and released days later, or created before midnight
// and sent after, belongs to the day the provider got it, as its report
// does, and every payout sent is in some day's run.
const inDay = `(submitted_at >= $2 AND submitted_at < $3)`

// notInDay is true for every other payout, those never sent included (a
// provider record naming one says the provider has it all the same).
const notInDay = `(submitted_at IS NULL OR submitted_at < $2 OR submitted_at >= $3)`

// DaySent returns provider's live payouts sent in [dayStart, dayEnd) — the
// payouts a day's reconciliation reads — each as the provider would report
// it when it agrees with payops, in the order they were made: for demo
// data, whose providers' reports are made from our side.
func (s *Store) DaySent(ctx context.Context, provider string, dayStart, dayEnd time.Time) ([]payout.ProviderRecord, error) {
	var rows []struct {
		Ref      string        `db:"reference_id"`
		PPID     string        `db:"provider_payout_id"`
		Amount   int64         `db:"amount_minor"`
		Currency string        `db:"currency"`
		Status   payout.Status `db:"status"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT reference_id, coalesce(provider_payout_id, '') AS provider_payout_id,
			amount_minor, currency, status
		FROM payouts WHERE provider = $1 AND livemode AND `+inDay+` ORDER BY id`, provider, dayStart, dayEnd)
	if err != nil {
		return nil, fmt.Errorf("store: payouts of %s sent %s: %w", provider, dayStart.Format(time.DateOnly), err)
	}
	out := make([]payout.ProviderRecord, len(rows))
	for i, r := range rows {
		out[i] = payout.ProviderRecord{ProviderPayoutID: r.PPID, ReferenceID: r.Ref,
			Amount: payout.Money{Minor: r.Amount, Currency: r.Currency}, Status: r.Status}
	}
	return out, nil
}

// Test payouts (livemode false: the sandbox's, a drill's) move no money and
// are never reconciled: every query of our side reads live payouts only, so
// a test payout is in no run's payouts, differences or totals, and a
// provider record naming one is missing in payops.

func newReconMatcher(records []payout.ProviderRecord) *reconMatcher {
	return &reconMatcher{records: records, byPPID: newPPIDIndex(records), matched: make([]bool, len(records)),
		totals: map[string]*ReconTotal{}}
}

// reconSlowRow is a payout of the day compared in full afterwards: it
// differs from the record naming it, or no record names it (record -1).
type reconSlowRow struct {
	p      reconPayout
	record int
}

const reconBatch = 4096 // rows a batch

// matchDay streams the day's payouts past an index of records: each pairs
// with the record naming its provider payout id, or waits in pending for a
// match by reference. Once the query is sent, streaming is called (Reconcile
// packs the records then) and the rows are read by a goroutine of their
// own into batches while the index is still being built and while the
// batches before are being matched, so that reading, indexing and matching
// share the cores with PostgreSQL making the rows instead of taking turns.
func matchDay(ctx context.Context, q Querier, provider string, dayStart, dayEnd time.Time, records []payout.ProviderRecord,
	streaming func()) (*reconMatcher, error) {
	// The columns as they are: PostgreSQL spent more making one text of
	// them a row than lib/pq spends reading six. The numbers are scanned
	// into an any (no conversion by database/sql), the texts into strings
	// (lib/pq's own, not copied again).
	rows, err := q.QueryContext(ctx, `SELECT id, amount_minor, fee_minor, currency, status,
			coalesce(provider_payout_id, '')
		FROM payouts WHERE provider = $1 AND livemode AND `+inDay, provider, dayStart, dayEnd)
	if err != nil {
		return nil, fmt.Errorf("store: reconciliation: payouts of the day: %w", err)
	}
	defer rows.Close()
	batches, free := make(chan []reconLine, 32), make(chan []reconLine, 34)
	var readErr error // set before batches is closed
	go func() {
		defer close(batches)
		b := make([]reconLine, 0, reconBatch)
		var id, amount, fee any
		var l reconLine
		dest := []any{&id, &amount, &fee, &l.currency, &l.status, &l.ppid}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				readErr = err
				return
			}
			var ok [3]bool
			l.id, ok[0] = id.(int64)
			l.amount, ok[1] = amount.(int64)
			l.fee.Int64, ok[2] = fee.(int64)
			l.fee.Valid = ok[2]
			if !ok[0] || !ok[1] || !ok[2] && fee != nil {
				readErr = fmt.Errorf("unexpected values %T, %T, %T for bigint columns", id, amount, fee)
				return
			}
			b = append(b, l)
			if len(b) == reconBatch {
				batches <- b
				select {
				case b = <-free:
					b = b[:0]
				default:
					b = make([]reconLine, 0, reconBatch)
				}
			}
		}
		if len(b) > 0 {
			batches <- b
		}
		readErr = rows.Err()
	}()
	streaming()
	m := newReconMatcher(records)
	// Most payouts agree with their record: those are compared as read,
	// adding to the totals with nothing kept. The rest are read again in
	// full afterwards, a few rows.
	var slow []reconSlowRow
	for b := range batches {
		slow = m.takeBatch(b, slow)
		select {
		case free <- b:
		default:
		}
	}
	if readErr != nil {
		return nil, fmt.Errorf("store: reconciliation: payouts of the day: %w", readErr)
	}
	return m, m.matchSlow(ctx, q, slow)
}

// matchSlow reads the references of the day's payouts in slow and pairs
// them with their records, or keeps them pending a match by reference.
func (m *reconMatcher) matchSlow(ctx context.Context, q Querier, slow []reconSlowRow) error {
	if len(slow) == 0 {
		return nil
	}
	ids := make([]int64, len(slow))
	for k, s := range slow {
		ids[k] = s.p.ID
	}
	var refs []struct {
		ID  int64  `db:"id"`
		Ref string `db:"reference_id"`
	}
	if err := q.SelectContext(ctx, &refs, `SELECT id, reference_id FROM payouts WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return fmt.Errorf("store: reconciliation: payouts of the day: %w", err)
	}
	refOf := make(map[int64]string, len(refs))
	for _, r := range refs {
		refOf[r.ID] = r.Ref
	}
	for _, s := range slow {
		s.p.Ref = refOf[s.p.ID]
		if s.record >= 0 {
			m.pair(&s.p, s.record)
		} else {
			m.pending = append(m.pending, s.p)
		}
	}
	return nil
}

// matchLeftovers matches the records the day's payouts left: by provider
// payout id with payouts of other days, then by reference with the day's
// pending payouts and other days' payouts still unmatched, records in
// order. What is left then is missing on one side, but for a payout of the
// day that another day's latest version matched (reportedElsewhere).
func (m *reconMatcher) matchLeftovers(ctx context.Context, q Querier, provider string, date, dayStart, dayEnd time.Time) error {
	ppids := []string{} // never NULL in the queries below
	// The records left are found by matched (a byte each), not by reading
	// every record again.
	for i := range m.records {
		if m.matched[i] {
			continue
		}
		// Only the first record naming an id can match by it (byPPID); the
		// records are walked, not the map: in order, and faster.
		if id := m.records[i].ProviderPayoutID; id != "" && orNone(m.byPPID.first(id)) == i {
			ppids = append(ppids, id)
		}
	}
	if len(ppids) > 0 {
		var others []reconPayout
		err := q.SelectContext(ctx, &others, `SELECT `+reconPayoutColumns+` FROM payouts
			WHERE provider = $1 AND livemode AND provider_payout_id = ANY($4) AND `+notInDay,
			provider, dayStart, dayEnd, pq.Array(ppids))
		if err != nil {
			return fmt.Errorf("store: reconciliation: payouts of other days: %w", err)
		}
		for _, p := range others {
			m.pair(&p, orNone(m.byPPID.first(p.PPID)))
			m.sentOther = append(m.sentOther, p.ID)
		}
	}

	byRef := map[string]*reconPayout{}
	for i := range m.pending {
		byRef[m.pending[i].Ref] = &m.pending[i]
	}
	var refs []string
	otherDay := map[int64]bool{} // payouts of other days found by reference
	for i := range m.records {
		if m.matched[i] {
			continue
		}
		if ref := m.records[i].ReferenceID; ref != "" && byRef[ref] == nil {
			refs = append(refs, ref)
		}
	}
	if len(refs) > 0 {
		var others []reconPayout
		// Not those of other days matched by id just now: a payout
		// matches once.
		err := q.SelectContext(ctx, &others, `SELECT `+reconPayoutColumns+` FROM payouts
			WHERE provider = $1 AND livemode AND reference_id = ANY($4) AND `+notInDay+`
				AND (provider_payout_id IS NULL OR NOT provider_payout_id = ANY($5))`,
			provider, dayStart, dayEnd, pq.Array(refs), pq.Array(ppids))
		if err != nil {
			return fmt.Errorf("store: reconciliation: payouts of other days: %w", err)
		}
		for i := range others {
			byRef[others[i].Ref] = &others[i]
			otherDay[others[i].ID] = true
		}
	}
	paired := map[int64]bool{}
	for i := range m.records {
		if m.matched[i] || m.records[i].ReferenceID == "" {
			continue
		}
		p := byRef[m.records[i].ReferenceID]
		if p != nil && !paired[p.ID] && payout.SamePayoutAtProvider(p.PPID, m.records[i].ProviderPayoutID) {
			paired[p.ID] = true
			m.pair(p, i)
			if otherDay[p.ID] {
				m.sentOther = append(m.sentOther, p.ID)
			}
		}
	}
	unpaired := map[int64]bool{}
	for i := range m.pending {
		if !paired[m.pending[i].ID] {
			unpaired[m.pending[i].ID] = true
		}
	}
	elsewhere, err := reportedElsewhere(ctx, q, provider, date, dayStart, dayEnd, unpaired)
	if err != nil {
		return err
	}
	if err := m.missingRelied(ctx, q, provider, date); err != nil {
		return err
	}
	// Missing on one side: the fee rule sees no fee on the side missing.
	for i := range m.pending {
		p := &m.pending[i]
		if paired[p.ID] {
			continue
		}
		if c, ok := elsewhere[p.ID]; ok {
			m.reportedOther = append(m.reportedOther, c)
			continue
		}
		m.ours(p, payout.CompareFee(p.Fee, nil, false))
		m.diffs = append(m.diffs, m.diff("missing_at_provider", p, -1))
	}
	for i := range m.records {
		if !m.matched[i] {
			m.theirs(i, payout.CompareFee(nil, m.records[i].Fee, false))
			m.diffs = append(m.diffs, m.diff("missing_in_payops", nil, i))
		}
	}
	return nil
}
