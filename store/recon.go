package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// latestRun is true for a run r (recon_runs r) that is its day's latest
// version.
const latestRun = `r.version = (SELECT max(version) FROM recon_runs l WHERE l.provider = r.provider AND l.business_date = r.business_date)`

// ReconRun is one version of one provider's business day.
type ReconRun struct {
	ID           int64      `db:"id"`
	Provider     string     `db:"provider"`
	BusinessDate time.Time  `db:"business_date"`
	Version      int        `db:"version"`
	Source       string     `db:"source"`
	DayStart     time.Time  `db:"day_start"`
	DayEnd       time.Time  `db:"day_end"`
	RunBy        string     `db:"run_by"`
	RunAt        time.Time  `db:"run_at"`
	Ties         bool       `db:"ties"`
	SignedOffBy  *string    `db:"signed_off_by"`
	SignedOffAt  *time.Time `db:"signed_off_at"`
	OpenDiffs    int        `db:"open_diffs"`
	Diffs        int        `db:"diffs"`
	// The settlement report the version was made from, when uploaded.
	ReportName   *string `db:"report_name"`
	ReportSHA256 *string `db:"report_sha256"`
	ReportBytes  *int64  `db:"report_bytes"`
}

// ReconTotal is one currency's totals on both sides.
type ReconTotal struct {
	Currency    string `db:"currency"`
	OursCount   int64  `db:"ours_count"`
	OursSum     int64  `db:"ours_sum"`
	OursFees    int64  `db:"ours_fees"`
	TheirsCount int64  `db:"theirs_count"`
	TheirsSum   int64  `db:"theirs_sum"`
	TheirsFees  int64  `db:"theirs_fees"`
}

// Ties reports whether both sides agree in count, sum and fees.
func (t ReconTotal) Ties() bool {
	return t.OursCount == t.TheirsCount && t.OursSum == t.TheirsSum && t.OursFees == t.TheirsFees
}

// ReconDiff is one difference between payops and the provider.
type ReconDiff struct {
	ID                int64      `db:"id"`
	RunID             int64      `db:"run_id"`
	Kind              string     `db:"kind"`
	PayoutID          *int64     `db:"payout_id"`
	RecordNo          *int       `db:"record_no"` // the record's place in the run's records, from 1
	ReferenceID       string     `db:"reference_id"`
	ProviderPayoutID  string     `db:"provider_payout_id"`
	OursAmountMinor   *int64     `db:"ours_amount_minor"`
	TheirsAmountMinor *int64     `db:"theirs_amount_minor"`
	OursCurrency      *string    `db:"ours_currency"`
	TheirsCurrency    *string    `db:"theirs_currency"`
	OursStatus        *string    `db:"ours_status"`
	TheirsStatus      *string    `db:"theirs_status"`
	OursFeeMinor      *int64     `db:"ours_fee_minor"`
	TheirsFeeMinor    *int64     `db:"theirs_fee_minor"`
	Resolution        string     `db:"resolution"`
	Note              string     `db:"note"`
	ResolvedBy        *string    `db:"resolved_by"`
	ResolvedAt        *time.Time `db:"resolved_at"`
}

// Reconcile compares one provider's business day, [dayStart, dayEnd), with
// the provider's records and stores the result as the day's next version:
// the records, every difference, and totals per currency. Our side is the
// provider's payouts sent that day plus any other payout a record matches.
// A record matches a payout by provider payout id, else by reference id; a
// payout matches one record at most, the first that names it. A payout of
// the day that the latest version of another day matched is counted there,
// not here (recon_crossday.go).
//
// The comparison is one pass over the day's payouts, read in a stream inside
// the transaction and looked up in an index of the records held in memory
// (see reconMatcher), then two small lookups for the records left over: a
// million payouts take about 0.8 s (make bench), 1.4 times what a bare FULL
// OUTER JOIN of the two sides takes PostgreSQL, with no million-row working
// table. The records are kept with the run as one compressed document
// (recon_runs.records), packed while the comparison runs.
//
// A day whose latest version is signed off is reconciled again only when
// again says so (finance confirmed that the new version needs a new
// sign-off); otherwise it is ErrSignedOff, decided under the day's lock, so
// a sign-off and a run or an upload racing cannot leave a signed-off day
// with a newer, unsigned version nobody asked for.
func (s *Store) Reconcile(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, source, by string,
	records []payout.ProviderRecord, again bool) (ReconRun, error) {
	return s.reconcile(ctx, provider, date, dayStart, dayEnd, source, by, records, again, nil)
}

// ReconcileReport is Reconcile from an uploaded settlement report, file:
// the version names it, and so does its recon.run audit entry.
func (s *Store) ReconcileReport(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, by string,
	records []payout.ProviderRecord, again bool, file *ReportFile) (ReconRun, error) {
	return s.reconcile(ctx, provider, date, dayStart, dayEnd, "upload", by, records, again, file)
}

func (s *Store) reconcile(ctx context.Context, provider string, date, dayStart, dayEnd time.Time, source, by string,
	records []payout.ProviderRecord, again bool, file *ReportFile) (ReconRun, error) {
	// The records are packed while the day's payouts stream, started once
	// the query is sent (matchDay): nothing runs before the lock is held.
	packed := make(chan packedRecords, 1)
	var run ReconRun
	err := s.WithTx(ctx, func(q Querier) error {
		// One reconciliation of a day at a time: versions are numbered in order.
		if err := lockReconDay(ctx, q, provider, date); err != nil {
			return err
		}
		var signed []struct {
			Version int    `db:"version"`
			By      string `db:"signed_off_by"`
		}
		if err := q.SelectContext(ctx, &signed, `SELECT version, signed_off_by FROM (SELECT version, signed_off_by
				FROM recon_runs WHERE provider = $1 AND business_date = $2 ORDER BY version DESC LIMIT 1) l
			WHERE signed_off_by IS NOT NULL`, provider, date); err != nil {
			return fmt.Errorf("store: reconciliation of %s %s: %w", provider, date.Format(time.DateOnly), err)
		}
		if len(signed) > 0 && !again {
			return &refusal{kind: ErrSignedOff, msg: fmt.Sprintf("%s %s is signed off: run it again from the day's page, "+
				"confirming that its new version needs a new sign-off", provider, date.Format(time.DateOnly))}
		}
		// The version's time is when its comparison reads the day (after the
		// lock), not when the transaction began: SignOff counts the changes
		// made after it.
		var comparedAt time.Time
		if err := q.GetContext(ctx, &comparedAt, `SELECT clock_timestamp()`); err != nil {
			return fmt.Errorf("store: reconciliation of %s %s: %w", provider, date.Format(time.DateOnly), err)
		}
		m, err := matchDay(ctx, q, provider, dayStart, dayEnd, records, func() {
			go func() { packed <- packRecords(records) }()
		})
		if err != nil {
			return err
		}
		if err := m.matchLeftovers(ctx, q, provider, date, dayStart, dayEnd); err != nil {
			return err
		}
		diffs, totals := m.result()
		reconPhase(ctx, "compare")

		pr := <-packed
		if pr.err != nil {
			return fmt.Errorf("store: provider records: %w", pr.err)
		}
		ties := len(diffs) == 0
		for _, t := range totals {
			ties = ties && t.Ties()
		}
		var name, sum *string
		var size *int64
		if file != nil {
			name, sum, size = &file.Name, &file.SHA256, &file.Bytes
		}
		err = q.GetContext(ctx, &run, `
			INSERT INTO recon_runs (provider, business_date, version, source, day_start, day_end, run_by, ties, records, run_at,
				report_name, report_sha256, report_bytes)
			SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
			FROM recon_runs WHERE provider = $1 AND business_date = $2
			RETURNING id, provider, business_date, version, run_by`, provider, date, source, dayStart, dayEnd, by, ties, pr.data,
			comparedAt, name, sum, size)
		if err != nil {
			return fmt.Errorf("store: start reconciliation: %w", err)
		}
		if err := insertDiffs(ctx, q, run.ID, diffs); err != nil {
			return err
		}
		carried, err := carryResolutions(ctx, q, run.ID)
		if err != nil {
			return err
		}
		closedElsewhere, err := recordCrossDay(ctx, q, run, m)
		if err != nil {
			return err
		}
		for _, t := range totals {
			_, err := q.ExecContext(ctx, `INSERT INTO recon_totals (run_id, currency, ours_count, ours_sum, ours_fees, theirs_count,
				theirs_sum, theirs_fees) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				run.ID, t.Currency, t.OursCount, t.OursSum, t.OursFees, t.TheirsCount, t.TheirsSum, t.TheirsFees)
			if err != nil {
				return fmt.Errorf("store: reconciliation totals: %w", err)
			}
		}
		if len(diffs) > 0 {
			if err := outboxEvent(ctx, q, payout.EventReconDifferences, map[string]any{"run_id": run.ID,
				"provider": provider, "business_date": date.Format("2006-01-02"), "version": run.Version,
				"source": source, "differences": len(diffs)}); err != nil {
				return err
			}
		}
		reconPhase(ctx, "store")
		if len(signed) > 0 {
			// Confirmed: the new version takes a signed-off one's place.
			if err := audit(ctx, q, by, "recon.rerun_signed_off", "recon", fmt.Sprintf("%s/%s", provider,
				date.Format("2006-01-02")), map[string]any{"run": run.ID, "replaces_version": signed[0].Version,
				"signed_off_by": signed[0].By}); err != nil {
				return err
			}
		}
		data := map[string]any{"run": run.ID, "source": source, "records": len(records), "carried": carried,
			"sent_other_day": len(m.sentOther), "reported_other_day": len(m.reportedOther),
			"resolved_other_days": closedElsewhere}
		if file != nil {
			data["file"], data["sha256"], data["bytes"] = file.Name, file.SHA256, file.Bytes
		}
		return audit(ctx, q, by, "recon.run", "recon", fmt.Sprintf("%s/%s", provider, date.Format("2006-01-02")), data)
	})
	if err != nil {
		return ReconRun{}, err
	}
	return s.ReconRunByID(ctx, run.ID)
}

type reconPhasesKey struct{}

// WithReconPhases returns ctx carrying done, which Reconcile calls with
// "compare" once the differences and totals are made and with "store" once
// they and the records are written (before committing): make bench times
// the phases by it.
func WithReconPhases(ctx context.Context, done func(phase string)) context.Context {
	return context.WithValue(ctx, reconPhasesKey{}, done)
}

func reconPhase(ctx context.Context, phase string) {
	if done, ok := ctx.Value(reconPhasesKey{}).(func(string)); ok {
		done(phase)
	}
}

// insertDiffs writes a run's differences with COPY, inside the
// reconciliation's transaction.
func insertDiffs(ctx context.Context, q Querier, runID int64, diffs []ReconDiff) error {
	tx, ok := q.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return fmt.Errorf("store: reconciliation differences: COPY needs a transaction")
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn("recon_diffs", "run_id", "kind", "payout_id", "record_no", "reference_id",
		"provider_payout_id", "ours_amount_minor", "theirs_amount_minor", "ours_currency", "theirs_currency", "ours_status",
		"theirs_status", "ours_fee_minor", "theirs_fee_minor"))
	if err != nil {
		return fmt.Errorf("store: reconciliation differences: %w", err)
	}
	defer stmt.Close()
	for _, d := range diffs {
		if _, err := stmt.ExecContext(ctx, runID, d.Kind, d.PayoutID, d.RecordNo, d.ReferenceID, d.ProviderPayoutID,
			d.OursAmountMinor, d.TheirsAmountMinor, d.OursCurrency, d.TheirsCurrency, d.OursStatus, d.TheirsStatus,
			d.OursFeeMinor, d.TheirsFeeMinor); err != nil {
			return fmt.Errorf("store: reconciliation differences: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("store: reconciliation differences: %w", err)
	}
	return nil
}

const reconRunSelect = `
	SELECT r.id, r.provider, r.business_date, r.version, r.source, r.day_start, r.day_end, r.run_by, r.run_at, r.ties,
		r.signed_off_by, r.signed_off_at, r.report_name, r.report_sha256, r.report_bytes,
		(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id AND d.resolution = 'open') AS open_diffs,
		(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id) AS diffs
	FROM recon_runs r `

// ReconRunByID returns one reconciliation run.
func (s *Store) ReconRunByID(ctx context.Context, id int64) (ReconRun, error) {
	var r ReconRun
	if err := s.db.GetContext(ctx, &r, reconRunSelect+`WHERE r.id = $1`, id); err != nil {
		return ReconRun{}, fmt.Errorf("store: reconciliation %d: %w", id, mapErr(err))
	}
	return r, nil
}

// ReconTotals returns a run's totals by currency.
func (s *Store) ReconTotals(ctx context.Context, runID int64) ([]ReconTotal, error) {
	var out []ReconTotal
	err := s.db.SelectContext(ctx, &out, `SELECT currency, ours_count, ours_sum, ours_fees, theirs_count, theirs_sum, theirs_fees
		FROM recon_totals WHERE run_id = $1 ORDER BY currency`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: totals of reconciliation %d: %w", runID, err)
	}
	return out, nil
}

const reconDiffColumns = `id, run_id, kind, payout_id, record_no, reference_id, provider_payout_id, ours_amount_minor,
	theirs_amount_minor, ours_currency, theirs_currency, ours_status, theirs_status, ours_fee_minor, theirs_fee_minor,
	resolution, note, resolved_by, resolved_at`

const reconDiffSelect = `SELECT ` + reconDiffColumns + ` FROM recon_diffs `

// ReconDiffFilter selects a run's differences: of one kind ("" for all),
// one page of them (Limit 0 for all). Open differences come first.
type ReconDiffFilter struct {
	Kind          string
	Limit, Offset int
}

// ReconDiffs returns a run's differences.
func (s *Store) ReconDiffs(ctx context.Context, runID int64, f ReconDiffFilter) ([]ReconDiff, error) {
	var out []ReconDiff
	err := s.EachReconDiff(ctx, runID, f, func(d ReconDiff) error {
		out = append(out, d)
		return nil
	})
	return out, err
}

// EachReconDiff calls fn with each of a run's differences in turn, reading
// them as it goes: an export of a large day never holds it all in memory.
func (s *Store) EachReconDiff(ctx context.Context, runID int64, f ReconDiffFilter, fn func(ReconDiff) error) error {
	rows, err := s.db.QueryxContext(ctx, reconDiffSelect+`WHERE run_id = $1 AND ($2 = '' OR kind = $2)
		ORDER BY resolution <> 'open', kind, id LIMIT nullif($3, 0) OFFSET $4`, runID, f.Kind, f.Limit, f.Offset)
	if err != nil {
		return fmt.Errorf("store: diffs of reconciliation %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d ReconDiff
		if err := rows.StructScan(&d); err != nil {
			return fmt.Errorf("store: diffs of reconciliation %d: %w", runID, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: diffs of reconciliation %d: %w", runID, err)
	}
	return nil
}

// ReconKindCount is how many differences of one kind a run has, and how
// many of them are open.
type ReconKindCount struct {
	Kind  string `db:"kind"`
	Total int    `db:"total"`
	Open  int    `db:"open"`
}

// ReconDiffCounts counts a run's differences by kind.
func (s *Store) ReconDiffCounts(ctx context.Context, runID int64) ([]ReconKindCount, error) {
	var out []ReconKindCount
	err := s.db.SelectContext(ctx, &out, `SELECT kind, count(*) AS total, count(*) FILTER (WHERE resolution = 'open') AS open
		FROM recon_diffs WHERE run_id = $1 GROUP BY kind ORDER BY kind`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: diff counts of reconciliation %d: %w", runID, err)
	}
	return out, nil
}

// ReconDiffByID returns one difference.
func (s *Store) ReconDiffByID(ctx context.Context, id int64) (ReconDiff, error) {
	var d ReconDiff
	if err := s.db.GetContext(ctx, &d, reconDiffSelect+`WHERE id = $1`, id); err != nil {
		return ReconDiff{}, fmt.Errorf("store: diff %d: %w", id, mapErr(err))
	}
	return d, nil
}

// ReconDays returns the latest version of every provider's business day
// from from to to, inclusive.
func (s *Store) ReconDays(ctx context.Context, from, to time.Time) ([]ReconRun, error) {
	var out []ReconRun
	err := s.db.SelectContext(ctx, &out, reconRunSelect+`WHERE r.business_date BETWEEN $1::date AND $2::date
		AND `+latestRun+`
		ORDER BY r.business_date DESC, r.provider`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: reconciled days: %w", err)
	}
	return out, nil
}

// ReconVersions returns every version of a provider's business day, the
// latest first; none when the day was never reconciled.
func (s *Store) ReconVersions(ctx context.Context, provider string, date time.Time) ([]ReconRun, error) {
	var out []ReconRun
	err := s.db.SelectContext(ctx, &out, reconRunSelect+`WHERE r.provider = $1 AND r.business_date = $2::date
		ORDER BY r.version DESC`, provider, date)
	if err != nil {
		return nil, fmt.Errorf("store: versions of %s %s: %w", provider, date.Format("2006-01-02"), err)
	}
	return out, nil
}
