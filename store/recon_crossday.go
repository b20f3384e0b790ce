package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// Payouts near midnight. A payout belongs to the day payops recorded it
// sent (submitted_at), but the provider's records of a day follow its own
// clock and cut-off: one sent at 00:00:01 by ours may be on its report of
// the day before, one sent at 23:59:59 on the report of the day after. Left
// alone, each such payout is a difference every night: "missing at provider"
// on its own day, while the neighbouring day matches it as a payout of
// another day. So a version records the payouts it compared across the
// boundary (recon_cross_day), and
//   - a payout of the day that none of its records names, but that the
//     latest version of another day matched, was reported there: it is
//     counted on that day and is no difference on its own (reportedElsewhere);
//   - a run that matches a payout of another day closes that day's open
//     "missing at provider" difference for it, in the day's latest version
//     not signed off, with a note saying where it was reported
//     (closeReportedHere);
//   - a new version of a day that no longer matches a payout another day
//     left to it (either way) shows it missing there (missingRelied), and a
//     resolution made by another day's run is never carried to a day's next
//     version: nothing drops out of every day in silence.
// Once each day involved has been run since, each payout is counted once,
// on the day whose records name it; a payout the records of two days name
// is counted on both, and both days' pages say so (ReconCountedTwice).

// crossDay is a payout of the day the latest version of another day matched.
type crossDay struct {
	PayoutID int64     `db:"payout_id"`
	Date     time.Time `db:"business_date"`
}

// reportedElsewhere returns, of the payouts of provider's day date sent in
// [dayStart, dayEnd) that no record of the day names (unpaired), those the
// latest version of another day matched, with that day. It reads the few
// cross-day rows of the day's payouts, not the unpaired ids (all of a day
// whose report names none by id).
func reportedElsewhere(ctx context.Context, q Querier, provider string, date, dayStart, dayEnd time.Time,
	unpaired map[int64]bool) (map[int64]crossDay, error) {
	if len(unpaired) == 0 {
		return nil, nil
	}
	var found []crossDay
	err := q.SelectContext(ctx, &found, `SELECT DISTINCT ON (c.payout_id) c.payout_id, r.business_date
		FROM recon_cross_day c JOIN recon_runs r ON r.id = c.run_id JOIN payouts p ON p.id = c.payout_id
		WHERE c.kind = 'sent_other_day' AND r.provider = $1 AND r.business_date <> $2::date
			AND `+latestRun+`
			AND p.provider = $1 AND p.livemode AND p.submitted_at >= $3 AND p.submitted_at < $4
		ORDER BY c.payout_id, r.business_date`, provider, date, dayStart, dayEnd)
	if err != nil {
		return nil, fmt.Errorf("store: reconciliation: payouts reported on other days: %w", err)
	}
	out := map[int64]crossDay{}
	for _, c := range found {
		if unpaired[c.PayoutID] {
			out[c.PayoutID] = c
		}
	}
	return out, nil
}

// reliedOn returns the payouts of other days that count on provider's day
// date: the latest version of their own day left them to this day, as
// reported here (a reported_other_day row), or had their difference closed
// by a run of this day that matched them (resolved_by_run). A new version
// of this day that no longer matches one of them must say so: nothing else
// counts it.
func reliedOn(ctx context.Context, q Querier, provider string, date time.Time) ([]reconPayout, error) {
	var out []reconPayout
	err := q.SelectContext(ctx, &out, `SELECT `+reconPayoutColumns+` FROM payouts WHERE id IN (
			SELECT c.payout_id FROM recon_cross_day c JOIN recon_runs r ON r.id = c.run_id
			WHERE c.kind = 'reported_other_day' AND c.other_date = $2::date AND r.provider = $1 AND `+latestRun+`
			UNION
			SELECT d.payout_id FROM recon_runs x JOIN recon_diffs d ON d.resolved_by_run = x.id
				JOIN recon_runs r ON r.id = d.run_id
			WHERE x.provider = $1 AND x.business_date = $2::date AND d.resolution = 'resolved' AND `+latestRun+`)
		ORDER BY id`, provider, date)
	if err != nil {
		return nil, fmt.Errorf("store: reconciliation: payouts other days left to this one: %w", err)
	}
	return out, nil
}

// missingRelied adds, as missing at the provider, each payout of another
// day that counts on this one (reliedOn) which the day's records no longer
// name: its own day left it to this day's report, so nothing else counts it.
func (m *reconMatcher) missingRelied(ctx context.Context, q Querier, provider string, date time.Time) error {
	relied, err := reliedOn(ctx, q, provider, date)
	if err != nil || len(relied) == 0 {
		return err
	}
	matched := map[int64]bool{}
	for _, id := range m.sentOther {
		matched[id] = true
	}
	for i := range relied {
		if p := &relied[i]; !matched[p.ID] {
			m.ours(p, payout.CompareFee(p.Fee, nil, false))
			m.diffs = append(m.diffs, m.diff("missing_at_provider", p, -1))
		}
	}
	return nil
}

// recordCrossDay writes what version run compared across the day's
// boundary, then closes the other days' differences its matches explain.
// It returns how many it closed.
func recordCrossDay(ctx context.Context, q Querier, run ReconRun, m *reconMatcher) (int, error) {
	if len(m.sentOther) > 0 {
		if _, err := q.ExecContext(ctx, `INSERT INTO recon_cross_day (run_id, payout_id, kind)
			SELECT $1, unnest($2::bigint[]), 'sent_other_day'`, run.ID, pq.Array(m.sentOther)); err != nil {
			return 0, fmt.Errorf("store: reconciliation: payouts of other days: %w", err)
		}
	}
	if len(m.reportedOther) > 0 {
		ids, dates := make([]int64, len(m.reportedOther)), make([]string, len(m.reportedOther))
		for i, c := range m.reportedOther {
			ids[i], dates[i] = c.PayoutID, c.Date.Format(time.DateOnly)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO recon_cross_day (run_id, payout_id, kind, other_date)
			SELECT $1, u.id, 'reported_other_day', u.d FROM unnest($2::bigint[], $3::date[]) u (id, d)`,
			run.ID, pq.Array(ids), pq.Array(dates)); err != nil {
			return 0, fmt.Errorf("store: reconciliation: payouts reported on other days: %w", err)
		}
	}
	return closeReportedHere(ctx, q, run, m.sentOther)
}

// closeReportedHere resolves, in the latest version of each other day of
// run's provider not signed off, the open "missing at provider"
// differences of payouts ids, which run matched: the provider reported them
// on run's day. Each is audited as a resolution by the run's author, and
// records the run (resolved_by_run): a new version of that day does not
// carry it over, and a new version of run's day that no longer matches the
// payout says it is missing there (reliedOn).
//
// The other day's lock is tried, not waited for: a run holding it while
// waiting for this day's would deadlock. When it is held (that day is being
// run, resolved or signed off this very moment) its differences stay open;
// running that day again then counts the payouts here, not there.
func closeReportedHere(ctx context.Context, q Querier, run ReconRun, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var open []struct {
		Date  time.Time `db:"business_date"`
		RunID int64     `db:"run_id"`
		ID    int64     `db:"id"`
	}
	err := q.SelectContext(ctx, &open, `SELECT r.business_date, d.run_id, d.id FROM recon_diffs d JOIN recon_runs r ON r.id = d.run_id
		WHERE d.payout_id = ANY($3) AND d.kind = 'missing_at_provider' AND d.resolution = 'open'
			AND r.provider = $1 AND r.business_date <> $2::date AND r.signed_off_by IS NULL AND `+latestRun+`
		ORDER BY r.business_date, d.id`, run.Provider, run.BusinessDate, pq.Array(ids))
	if err != nil {
		return 0, fmt.Errorf("store: reconciliation: differences of other days: %w", err)
	}
	note := payout.ReportedOnAnotherDay(run.BusinessDate, run.Version)
	closed := 0
	for k := 0; k < len(open); {
		day, runID := open[k].Date, open[k].RunID
		var diffs []int64
		for ; k < len(open) && open[k].RunID == runID; k++ {
			diffs = append(diffs, open[k].ID)
		}
		var locked bool
		if err := q.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(`+reconDayKey+`)`, run.Provider, day); err != nil {
			return 0, fmt.Errorf("store: lock reconciliation: %w", err)
		}
		if !locked {
			continue
		}
		// Under the lock: still that day's latest version, not signed off.
		var still bool
		if err := q.GetContext(ctx, &still, `SELECT EXISTS (SELECT 1 FROM recon_runs r WHERE r.id = $1
				AND r.signed_off_by IS NULL AND `+latestRun+`)`, runID); err != nil {
			return 0, fmt.Errorf("store: reconciliation %d: %w", runID, err)
		}
		if !still {
			continue
		}
		done, err := closeDiffs(ctx, q, runID, run.Provider, day, diffs, "resolved", note, run.RunBy, &run.ID,
			map[string]any{"matched_by_run": run.ID})
		if err != nil {
			return 0, err
		}
		closed += len(done)
	}
	return closed, nil
}

// CrossDayPayout is a payout a version compared across the day's boundary.
type CrossDayPayout struct {
	PayoutID    int64      `db:"payout_id"`
	Kind        string     `db:"kind"` // sent_other_day, reported_other_day
	OtherDate   *time.Time `db:"other_date"`
	ReferenceID string     `db:"reference_id"`
	AmountMinor int64      `db:"amount_minor"`
	Currency    string     `db:"currency"`
	Status      string     `db:"status"`
	SubmittedAt *time.Time `db:"submitted_at"`
}

// ReconCrossDay returns up to limit of the payouts version runID compared
// across the day's boundary, in the order they were sent, and how many
// there are of each kind.
func (s *Store) ReconCrossDay(ctx context.Context, runID int64, limit int) ([]CrossDayPayout, map[string]int, error) {
	var out []CrossDayPayout
	err := s.db.SelectContext(ctx, &out, `SELECT c.payout_id, c.kind, c.other_date, p.reference_id, p.amount_minor,
			p.currency, p.status, p.submitted_at
		FROM recon_cross_day c JOIN payouts p ON p.id = c.payout_id
		WHERE c.run_id = $1 ORDER BY p.submitted_at NULLS FIRST, p.id LIMIT $2`, runID, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("store: payouts of reconciliation %d across days: %w", runID, err)
	}
	var counts []struct {
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, `SELECT kind, count(*) AS n FROM recon_cross_day WHERE run_id = $1
		GROUP BY kind`, runID); err != nil {
		return nil, nil, fmt.Errorf("store: payouts of reconciliation %d across days: %w", runID, err)
	}
	n := map[string]int{}
	for _, c := range counts {
		n[c.Kind] = c.N
	}
	return out, n, nil
}

// CountedTwice is a payout a version counts that the latest version of
// another day counts too: the provider reported it on both days.
type CountedTwice struct {
	ReferenceID string    `db:"reference_id"`
	OtherDate   time.Time `db:"business_date"`
	OtherVer    int       `db:"version"`
}

// countsOwn is true when version w (aliased) counts payout p (aliased) of
// its own day: p was sent in w's window and w's records named it (no
// "missing at provider" difference, and not left to another day's report).
const countsOwn = `(p.submitted_at >= w.day_start AND p.submitted_at < w.day_end
	AND NOT EXISTS (SELECT 1 FROM recon_diffs d WHERE d.run_id = w.id AND d.payout_id = p.id AND d.kind = 'missing_at_provider')
	AND NOT EXISTS (SELECT 1 FROM recon_cross_day o WHERE o.run_id = w.id AND o.payout_id = p.id AND o.kind = 'reported_other_day'))`

// ReconCountedTwice returns the payouts version run counts that the latest
// version of another day of its provider counts too, at most limit: a
// payout of another day that run matched and that its own day's records
// named as well (or a third day's), and a payout of run's day that its
// records named and that another day matched. Each is in two days' totals:
// the provider reported it on both days, perhaps settled it twice. Each
// query probes one index a candidate (migration 00062) and stops at limit:
// the first two start from the payouts run compared across days, the third
// from the few other days' cross-day rows or the day's payouts, whichever
// the planner finds fewer.
func (s *Store) ReconCountedTwice(ctx context.Context, run ReconRun, limit int) ([]CountedTwice, error) {
	queries := []string{
		// run matched p, of another day, whose own day's latest version
		// counts it: the version of the day whose window holds p's send time.
		`SELECT p.reference_id, w.business_date, w.version
		FROM recon_cross_day c JOIN payouts p ON p.id = c.payout_id
			JOIN LATERAL (SELECT w.* FROM recon_runs w WHERE w.provider = $2 AND w.day_start <= p.submitted_at
				ORDER BY w.day_start DESC, w.version DESC LIMIT 1) w ON w.business_date <> $3::date
		WHERE c.run_id = $1 AND c.kind = 'sent_other_day' AND ` + countsOwn + `
		ORDER BY w.business_date, p.reference_id LIMIT $4`,
		// run matched p, of another day, which a third day's latest version
		// matched too.
		`SELECT p.reference_id, w.business_date, w.version
		FROM recon_cross_day c JOIN payouts p ON p.id = c.payout_id
			JOIN recon_cross_day c2 ON c2.payout_id = p.id AND c2.kind = 'sent_other_day' AND c2.run_id <> $1
			JOIN recon_runs w ON w.id = c2.run_id AND w.provider = $2 AND w.business_date <> $3::date
		WHERE c.run_id = $1 AND c.kind = 'sent_other_day'
			AND w.version = (SELECT max(version) FROM recon_runs l WHERE l.provider = w.provider
				AND l.business_date = w.business_date)
		ORDER BY w.business_date, p.reference_id LIMIT $4`,
		// Another day's latest version matched p, of run's day, which run's
		// records named.
		`SELECT p.reference_id, r.business_date, r.version
		FROM payouts p JOIN recon_cross_day c ON c.payout_id = p.id AND c.kind = 'sent_other_day'
			JOIN recon_runs r ON r.id = c.run_id JOIN recon_runs w ON w.id = $1
		WHERE p.provider = $2 AND p.livemode AND p.submitted_at >= w.day_start AND p.submitted_at < w.day_end
			AND r.provider = $2 AND r.business_date <> $3::date AND ` + latestRun + ` AND ` + countsOwn + `
		ORDER BY r.business_date, p.reference_id LIMIT $4`,
	}
	var out []CountedTwice
	seen := map[CountedTwice]bool{}
	for _, query := range queries {
		var rows []CountedTwice
		if err := s.db.SelectContext(ctx, &rows, query, run.ID, run.Provider, run.BusinessDate, limit); err != nil {
			return nil, fmt.Errorf("store: payouts of reconciliation %d counted on another day too: %w", run.ID, err)
		}
		for _, r := range rows {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	// Each query's first limit, in the same order: together, the first
	// limit of all, the same on every load.
	slices.SortFunc(out, func(a, b CountedTwice) int {
		return cmp.Or(a.OtherDate.Compare(b.OtherDate), strings.Compare(a.ReferenceID, b.ReferenceID))
	})
	return out[:min(len(out), limit)], nil
}
