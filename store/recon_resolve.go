package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// DiffOutcome is what closing one selected difference came to.
type DiffOutcome struct {
	ID      int64
	Diff    ReconDiff // as it is now; zero when the version has no such difference
	Changed bool      // closed with the note just now
	Reason  string    // why not, when not: "accepted already, by …"
}

// ResolveDiff closes an open difference with a note: resolved (explained
// and fixed) or accepted (known and left). Only the latest version of a day
// is worked on, and a signed-off version is read-only (ErrRefused); so is a
// difference closed already. ErrNotFound when there is no such difference.
func (s *Store) ResolveDiff(ctx context.Context, diffID int64, by Actor, note string, accept bool) (ReconDiff, error) {
	var runID int64
	if err := s.db.GetContext(ctx, &runID, `SELECT run_id FROM recon_diffs WHERE id = $1`, diffID); err != nil {
		return ReconDiff{}, fmt.Errorf("store: diff %d: %w", diffID, mapErr(err))
	}
	out, err := s.ResolveDiffs(ctx, runID, []int64{diffID}, by, note, accept)
	if err != nil {
		return ReconDiff{}, err
	}
	if !out[0].Changed {
		return ReconDiff{}, Refused("diff #%d is %s", diffID, out[0].Reason)
	}
	return out[0].Diff, nil
}

// ResolveDiffs closes the selected differences of version runID with one
// note, as ResolveDiff closes one, in one transaction: each open one is
// closed and audited on its own (recon.diff_resolved or recon.diff_accepted,
// naming the difference); one closed already, or not of this version, is
// left and said so. It returns an outcome per selected difference, in the
// order given (each once). A version that is not the latest, or is signed
// off, refuses the whole selection (ErrRefused, payout.VersionReadOnly);
// ErrNotFound when there is no such version.
func (s *Store) ResolveDiffs(ctx context.Context, runID int64, ids []int64, by Actor, note string,
	accept bool) ([]DiffOutcome, error) {
	resolution := "resolved"
	if accept {
		resolution = "accepted"
	}
	ids = uniqueIDs(ids)
	var out []DiffOutcome
	err := s.WithTx(ctx, func(q Querier) error {
		day, err := lockVersion(ctx, q, runID)
		if err != nil {
			return err
		}
		signedBy := ""
		if day.SignedBy != nil {
			signedBy = *day.SignedBy
		}
		if why := payout.VersionReadOnly(day.Version, day.Latest, signedBy); why != "" {
			return Refused("%s", why)
		}
		var found []ReconDiff
		err = q.SelectContext(ctx, &found, reconDiffSelect+`WHERE run_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`,
			runID, pq.Array(ids))
		if err != nil {
			return fmt.Errorf("store: diffs of reconciliation %d: %w", runID, err)
		}
		out = outcomesOf(ids, found)
		extra := map[string]any{}
		if len(ids) > 1 {
			extra["bulk"] = len(ids) // how many were selected with it
		}
		closed, err := closeDiffs(ctx, q, runID, day.Provider, day.Date, ids, resolution, note, by.Name, nil, extra)
		if err != nil {
			return err
		}
		for _, d := range closed {
			i := slices.IndexFunc(out, func(o DiffOutcome) bool { return o.ID == d.ID })
			out[i] = DiffOutcome{ID: d.ID, Diff: d, Changed: true}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// closeDiffs closes the open differences ids of version runID, of
// provider's day date, as resolution ("resolved", "accepted") with note, by
// by, each audited (recon.diff_resolved or recon.diff_accepted, naming the
// difference, with extra); byRun is the run of another day that closed them
// (closeReportedHere), nil for a person. It returns those it closed.
func closeDiffs(ctx context.Context, q Querier, runID int64, provider string, date time.Time, ids []int64,
	resolution, note, by string, byRun *int64, extra map[string]any) ([]ReconDiff, error) {
	var closed []ReconDiff
	err := q.SelectContext(ctx, &closed, `UPDATE recon_diffs SET resolution = $2, note = $3, resolved_by = $4,
			resolved_at = now(), resolved_by_run = $6
		WHERE run_id = $5 AND id = ANY($1) AND resolution = 'open'
		RETURNING `+reconDiffColumns, pq.Array(ids), resolution, note, by, runID, byRun)
	if err != nil {
		return nil, fmt.Errorf("store: resolve diffs of reconciliation %d: %w", runID, err)
	}
	entity := fmt.Sprintf("%s/%s", provider, date.Format("2006-01-02"))
	for _, d := range closed {
		details := map[string]any{"run": runID, "diff": d.ID, "note": note}
		maps.Copy(details, extra)
		if err := audit(ctx, q, by, "recon.diff_"+resolution, "recon", entity, details); err != nil {
			return nil, err
		}
	}
	return closed, nil
}

// outcomesOf says, for each selected id, why it will not be closed: not of
// the version (not in found), or closed already. The open ones are left
// for the caller to fill in.
func outcomesOf(ids []int64, found []ReconDiff) []DiffOutcome {
	out := make([]DiffOutcome, 0, len(ids))
	for _, id := range ids {
		o := DiffOutcome{ID: id, Reason: "not a difference of this version"}
		if i := slices.IndexFunc(found, func(d ReconDiff) bool { return d.ID == id }); i >= 0 {
			d := found[i]
			o.Diff, o.Reason = d, ""
			if d.Resolution != "open" {
				o.Reason = d.Resolution + " already"
				if d.ResolvedBy != nil {
					o.Reason += ", by " + *d.ResolvedBy
				}
			}
		}
		out = append(out, o)
	}
	return out
}

func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// reconVersion is a version of a day as an action on it needs it.
type reconVersion struct {
	Provider string    `db:"provider"`
	Date     time.Time `db:"business_date"`
	Version  int       `db:"version"`
	SignedBy *string   `db:"signed_off_by"`
	Latest   int       `db:"latest"`
	Open     int       `db:"open"`
	DayStart time.Time `db:"day_start"`
	DayEnd   time.Time `db:"day_end"`
	RunAt    time.Time `db:"run_at"`
}

// lockVersion locks version runID of a day for an action on it, inside q:
// every action on a version takes its row first, then its differences.
//
// It takes the day's lock first, the one Reconcile holds while it compares:
// a sign-off or a resolution waits for a run of the same day to end and then
// sees its version is no longer the latest, instead of signing off a
// version a run is about to replace.
func lockVersion(ctx context.Context, q Querier, runID int64) (reconVersion, error) {
	var v reconVersion
	err := q.GetContext(ctx, &v, `SELECT provider, business_date FROM recon_runs WHERE id = $1`, runID)
	if err != nil {
		return reconVersion{}, fmt.Errorf("store: reconciliation %d: %w", runID, mapErr(err))
	}
	if err := lockReconDay(ctx, q, v.Provider, v.Date); err != nil {
		return reconVersion{}, err
	}
	err = q.GetContext(ctx, &v, `
		SELECT r.provider, r.business_date, r.version, r.signed_off_by, r.day_start, r.day_end, r.run_at,
			(SELECT max(version) FROM recon_runs l
				WHERE l.provider = r.provider AND l.business_date = r.business_date) AS latest,
			(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id AND d.resolution = 'open') AS open
		FROM recon_runs r WHERE r.id = $1 FOR UPDATE`, runID)
	if err != nil {
		return reconVersion{}, fmt.Errorf("store: reconciliation %d: %w", runID, mapErr(err))
	}
	return v, nil
}

// changedSince returns up to three references of the live payouts of
// provider sent in [dayStart, dayEnd) that changed in a way a day's
// comparison reads since since: a new state, or a fee the provider stated
// (posted to the ledger since). When a month of payout events since then is
// archived the events cannot say: any change to the payout counts.
func changedSince(ctx context.Context, q Querier, provider string, dayStart, dayEnd, since time.Time) ([]string, error) {
	var changed []string
	err := q.SelectContext(ctx, &changed, `SELECT p.reference_id FROM payouts p WHERE p.provider = $1 AND p.livemode
			AND p.submitted_at >= $2 AND p.submitted_at < $3 AND p.updated_at > $4
			AND (EXISTS (SELECT 1 FROM payout_events e WHERE e.payout_id = p.id AND e.decision = 'applied'
			             AND e.status <> e.previous AND e.recorded_at > $4)
			     OR EXISTS (SELECT 1 FROM ledger_postings l WHERE l.payout_id = p.id AND l.kind = 'fee'
			                AND l.payout_created_at = p.created_at AND l.posted_at > $4)
			     OR EXISTS (SELECT 1 FROM history_archives a WHERE a.table_name = 'payout_events'
			                AND a.month + interval '1 month' > $4))
		ORDER BY p.updated_at LIMIT 3`, provider, dayStart, dayEnd, since)
	return changed, err
}

// ChangedSinceSignOff returns up to three references of the payouts of a
// signed-off version's day that changed since it was signed off (a late
// reversal, say): the signed comparison no longer tells the day as it is,
// and the day's page says so. None for a version not signed off.
func (s *Store) ChangedSinceSignOff(ctx context.Context, run ReconRun) ([]string, error) {
	if run.SignedOffAt == nil {
		return nil, nil
	}
	changed, err := changedSince(ctx, s.db, run.Provider, run.DayStart, run.DayEnd, *run.SignedOffAt)
	if err != nil {
		return nil, fmt.Errorf("store: payouts of reconciliation %d changed since its sign-off: %w", run.ID, err)
	}
	return changed, nil
}

// reconChangeMargin is how long before a run's comparison a payout's
// change still counts as possibly after it (SignOff): longer than a
// writer's transaction takes from its start to its commit.
const reconChangeMargin = 2 * time.Second

// SignOff signs off the latest version of a day for finance, once no
// difference is open. The version is read-only afterwards.
func (s *Store) SignOff(ctx context.Context, runID int64, by Actor) (ReconRun, error) {
	err := s.WithTx(ctx, func(q Querier) error {
		r, err := lockVersion(ctx, q, runID)
		if err != nil {
			return err
		}
		switch {
		case r.SignedBy != nil:
			return Refused("version %d was signed off by %s already", r.Version, *r.SignedBy)
		case r.Version != r.Latest:
			return Refused("version %d is not the latest (%d): sign off the latest", r.Version, r.Latest)
		case r.Open > 0:
			return Refused("%d differences are still open: resolve or accept each with a note first", r.Open)
		}
		// What finance signs is this version's comparison: a payout of the
		// day whose state moved since (a reversal, a late settlement) is not
		// in it, nor is a fee the provider stated since (posted to the
		// ledger after the run: the comparison's fee column was empty). A
		// re-check that only confirmed the state or added a UTR is no such
		// move. run_at is when the comparison read the day; a move's
		// times are its writer's transaction start, which may precede that
		// yet commit after the read: moves from reconChangeMargin before it
		// count too (one the run did see only asks for one more run). When a
		// month of payout events since then is archived (a version signed
		// long after its run, with a short PAYOPS_RETENTION), the events
		// cannot say: any change to the payout since counts.
		changed, err := changedSince(ctx, q, r.Provider, r.DayStart, r.DayEnd, r.RunAt.Add(-reconChangeMargin))
		if err != nil {
			return fmt.Errorf("store: payouts of reconciliation %d changed since: %w", runID, err)
		}
		if len(changed) > 0 {
			return Refused("payouts of the day changed after version %d was made (%s): run the day again, "+
				"then sign off the new version (resolutions of what did not change carry over)", r.Version,
				strings.Join(changed, ", "))
		}
		_, err = q.ExecContext(ctx, `UPDATE recon_runs SET signed_off_by = $2, signed_off_at = now() WHERE id = $1`,
			runID, by.Name)
		if err != nil {
			return fmt.Errorf("store: sign off reconciliation %d: %w", runID, err)
		}
		day := fmt.Sprintf("%s/%s", r.Provider, r.Date.Format("2006-01-02"))
		if err := audit(ctx, q, by.Name, "recon.sign_off", "recon", day, map[string]any{"run": runID, "version": r.Version}); err != nil {
			return err
		}
		return outboxEvent(ctx, q, payout.EventReconSignedOff, map[string]any{"run_id": runID, "provider": r.Provider,
			"business_date": r.Date.Format("2006-01-02"), "version": r.Version, "signed_off_by": by.Name})
	})
	if err != nil {
		return ReconRun{}, err
	}
	return s.ReconRunByID(ctx, runID)
}

// reconDayKey is the advisory lock key of provider $1's day $2.
const reconDayKey = `hashtext('payops.recon.' || $1 || $2::date)`

// lockReconDay holds a provider's day until the transaction ends: one
// reconciliation, sign-off or resolution of a day at a time.
func lockReconDay(ctx context.Context, q Querier, provider string, date time.Time) error {
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+reconDayKey+`)`, provider, date); err != nil {
		return fmt.Errorf("store: lock reconciliation: %w", err)
	}
	return nil
}

// carryResolutions closes, in a new version runID, each difference the
// day's previous version had closed with the very same values (kind,
// payout, references, both amounts, currencies, statuses and fees): the
// note, who and when are kept, the note saying which version it was made
// on (once: carried again, it still names that version).
// A run again (a job, Run now, a corrected report) does not throw away
// finance's work on what did not change; what changed is open again. A
// difference another day's run closed (resolved_by_run: it matched the
// payout there) is not carried: the new version asked that day again
// (reportedElsewhere), and what is still a difference is one. It returns
// how many were carried.
func carryResolutions(ctx context.Context, q Querier, runID int64) (int64, error) {
	// Each difference pairs with the previous version's one of the very same
	// values and the same rank among its equals (two identical differences,
	// one resolved, one open, stay so), never two with one.
	same := func(a, b string) string {
		var conds []string
		for _, c := range diffIdentity {
			conds = append(conds, a+"."+c+" IS NOT DISTINCT FROM "+b+"."+c)
		}
		return strings.Join(conds, " AND ")
	}
	ranked := `row_number() OVER (PARTITION BY ` + strings.Join(diffIdentity, ", ") + ` ORDER BY id) AS rn`
	res, err := q.ExecContext(ctx, `
		WITH prev AS (SELECT pv.id, pv.version FROM recon_runs nv JOIN recon_runs pv ON pv.provider = nv.provider
				AND pv.business_date = nv.business_date AND pv.version = nv.version - 1 WHERE nv.id = $1),
			o AS (SELECT d.*, `+ranked+` FROM recon_diffs d WHERE d.run_id = (SELECT id FROM prev)),
			n AS (SELECT d.*, `+ranked+` FROM recon_diffs d WHERE d.run_id = $1)
		UPDATE recon_diffs t SET resolution = o.resolution, resolved_by = o.resolved_by, resolved_at = o.resolved_at,
			note = CASE WHEN o.note ~ ' \(carried from version [0-9]+\)$' THEN o.note
				ELSE o.note || ' (carried from version ' || (SELECT version FROM prev) || ')' END
		FROM n JOIN o ON n.rn = o.rn AND `+same("n", "o")+`
		WHERE t.id = n.id AND o.resolution <> 'open' AND o.resolved_by_run IS NULL AND t.resolution = 'open'
			-- Nothing to carry, most runs again: the join is never made.
			AND EXISTS (SELECT 1 FROM recon_diffs r WHERE r.run_id = (SELECT id FROM prev) AND r.resolution <> 'open'
				AND r.resolved_by_run IS NULL)`, runID)
	if err != nil {
		return 0, fmt.Errorf("store: carry resolutions to reconciliation %d: %w", runID, err)
	}
	return res.RowsAffected()
}

// diffIdentity are the columns that make two versions' differences the
// same difference (carryResolutions).
var diffIdentity = []string{"kind", "payout_id", "reference_id", "provider_payout_id", "ours_amount_minor",
	"theirs_amount_minor", "ours_currency", "theirs_currency", "ours_status", "theirs_status", "ours_fee_minor",
	"theirs_fee_minor"}
