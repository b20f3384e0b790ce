package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// StuckFilter selects stuck payouts: QUEUED or PROCESSING with no change
// since Before.
type StuckFilter struct {
	Before   time.Time
	Provider string // "" for all
	Limit    int
	Offset   int
	Test     bool // test payouts instead of live ones
}

// checkFailed is, for a payout p whose last check failed (asked after its
// last answer), an empty string (whyChecksFailed puts the failure's words
// in), and NULL otherwise.
const checkFailed = `CASE WHEN p.last_checked_at > coalesce(p.last_answered_at, '-infinity') THEN '' END AS last_check_failed`

// stuckColumns are the columns of a payout the stuck list shows: fewer
// than payoutColumns, for a page read often.
const stuckColumns = `p.id, p.reference_id, p.provider, p.amount_minor, p.currency, p.mode, p.livemode, p.status, p.submitted_at,
	p.last_checked_at, p.updated_at, p.provider_state, p.provider_state_reason, p.pending_approval, p.last_answered_at,
	b.name AS beneficiary_name, b.account_last4`

// StuckTotal is how many payouts are stuck in all, and how many of them
// payops holds back unsent because their provider is paused (a downtime, an
// open breaker): not the provider's delay, and not something a Re-check
// moves.
type StuckTotal struct {
	All    int
	Paused int
}

// AtProvider is the stuck payouts that wait on their provider: all but
// the paused ones.
func (t StuckTotal) AtProvider() int { return t.All - t.Paused }

// anyPaused reports whether some provider is paused now: a cheap prepared
// test that spares reading the stuck payouts for their pauses when there
// are none (most of the time).
func (s *Store) anyPaused(ctx context.Context) (bool, error) {
	var paused bool
	if err := getFast(ctx, s.q(), &paused, `SELECT `+anyPausedSQL); err != nil {
		return false, fmt.Errorf("store: any provider paused: %w", err)
	}
	return paused, nil
}

// heldBackSQL is true for an open payout (QUEUED or PROCESSING) that payops
// holds back unsent because its provider is paused: not the provider's
// delay. payouts must be aliased p.
const heldBackSQL = `(p.status = 'QUEUED' AND p.submitted_at IS NULL AND NOT (TRUE` + notPausedSQL + `))`

// stuckWhere is the stuck list's WHERE clause for f, with its arguments
// (f.Before first). The filter is spelled into the text, not passed as
// parameters (a provider that may be empty, a mode compared with <>), so
// each of the four texts is a prepared statement whose generic plan is the
// custom one: one range of the mode's partial index
// (payouts_open_live_by_updated or payouts_open_test_by_updated) with
// nothing left to filter but what the filter asks. The count then is neither
// parsed nor planned again on every request; the page is parsed once, and
// PostgreSQL still plans it each time (its generic plan guesses that LIMIT
// and OFFSET are a tenth of the range, and costs more than a custom one).
func stuckWhere(f StuckFilter) (string, []any) {
	return openWhere(f, "<"), stuckArgs(f)
}

// openWhere is the WHERE clause of the open payouts (QUEUED or PROCESSING)
// of f's mode and provider ($2) whose last change compares with f.Before
// ($1) by op: "<" for the stuck ones, ">=" for the others.
func openWhere(f StuckFilter, op string) string {
	where := `WHERE p.status IN ('QUEUED', 'PROCESSING') AND p.updated_at ` + op + ` $1`
	if f.Test {
		where += ` AND NOT p.livemode`
	} else {
		where += ` AND p.livemode`
	}
	if f.Provider != "" {
		where += ` AND p.provider = $2`
	}
	return where + " "
}

// stuckArgs are the arguments of openWhere's clauses: the cut-off, then
// the provider when one is asked.
func stuckArgs(f StuckFilter) []any {
	if f.Provider != "" {
		return []any{f.Before, f.Provider}
	}
	return []any{f.Before}
}

// stuckCountedUpTo is how many stuck payouts the list counts one by one.
// Past it (an outage: thousands stuck at once, and everyone looking at the
// list) it counts live payouts as all the open payouts of its filter, from
// the folded counts /metrics reads (payoutCountsNow, exact at the
// statement's snapshot: migration 00029), less the open
// ones changed since the cut-off, when those are fewer than it: two short
// ranges of one index, not every stuck payout. When both are many, or the
// difference says the folded counts are wrong (fewer than were just seen),
// every stuck payout is counted, as below it. Test payouts have no folded
// counts: they are always counted one by one. A variable for tests.
var stuckCountedUpTo = 1000

// stuckCountSQL counts the stuck payouts of f (exactly, see
// stuckCountedUpTo), and says whether some provider is paused now.
func stuckCountSQL(f StuckFilter) string {
	paused := `(SELECT ` + anyPausedSQL + `) AS paused`
	all := `(SELECT count(*) FROM payouts p ` + openWhere(f, "<") + `)`
	if f.Test {
		return `SELECT ` + all + ` AS count, ` + paused
	}
	upTo := fmt.Sprint(stuckCountedUpTo)
	folded := `SELECT coalesce(sum(n), 0) AS n FROM ` + payoutCountsNow + ` c WHERE status IN ('QUEUED', 'PROCESSING')`
	if f.Provider != "" {
		folded += ` AND provider = $2`
	}
	return `WITH early AS (SELECT count(*) AS n FROM (SELECT 1 FROM payouts p ` + openWhere(f, "<") + `LIMIT ` + upTo + `) s)
		SELECT CASE WHEN early.n < ` + upTo + ` THEN early.n ELSE (
			SELECT CASE WHEN recent.n < ` + upTo + ` AND open.n - recent.n >= ` + upTo + ` THEN open.n - recent.n ELSE ` + all + ` END
			FROM (SELECT count(*) AS n FROM (SELECT 1 FROM payouts p ` + openWhere(f, ">=") + `LIMIT ` + upTo + `) r) recent,
				(` + folded + `) open) END AS count, ` + paused + `
		FROM early`
}

// StuckPayouts returns one page of stuck payouts, oldest change first, and
// how many match in all (and of them paused: read only while some provider
// is paused), with the columns the list shows (stuckColumns);
// each with when its provider last answered and, when the last check
// failed, why. The count and the page are each a prepared statement. The
// page reads one range of one index (stuckWhere); so does the count, up to
// stuckCountedUpTo stuck payouts, and past it, of live payouts, two short
// ranges and the folded counts. Why a check failed is read afterwards, for
// the rows whose last check failed only.
func (s *Store) StuckPayouts(ctx context.Context, f StuckFilter) ([]Payout, StuckTotal, error) {
	where, args := stuckWhere(f)
	var total StuckTotal
	var counted struct {
		All    int  `db:"count"`
		Paused bool `db:"paused"` // some provider is paused now
	}
	// Whether some provider is paused comes with the count (one round trip
	// less): the paused ones are counted only then, which is rarely.
	if err := getFast(ctx, s.q(), &counted, stuckCountSQL(f), args...); err != nil {
		return nil, total, fmt.Errorf("store: count stuck payouts: %w", err)
	}
	total.All = counted.All
	if counted.All > 0 && counted.Paused {
		if err := s.db.GetContext(ctx, &total.Paused, `SELECT count(*) FROM payouts p `+where+` AND `+heldBackSQL,
			args...); err != nil {
			return nil, total, fmt.Errorf("store: count stuck payouts paused: %w", err)
		}
	}
	n := len(args)
	var out []Payout
	err := selectFast(ctx, s.q(), &out, `SELECT `+stuckColumns+`, `+checkFailed+payoutFrom+where+
		fmt.Sprintf(`ORDER BY p.updated_at, p.id LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, total, fmt.Errorf("store: stuck payouts: %w", err)
	}
	if err := s.whyChecksFailed(ctx, out); err != nil {
		return nil, total, err
	}
	return out, total, nil
}

// whyChecksFailed fills in LastCheckFailed, for the payouts whose last
// check failed (it is "", not nil), with the words of their latest error
// event.
func (s *Store) whyChecksFailed(ctx context.Context, ps []Payout) error {
	var ids []int64
	for _, p := range ps {
		if p.LastCheckFailed != nil {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		PayoutID int64  `db:"payout_id"`
		Detail   string `db:"detail"`
	}
	err := selectFast(ctx, s.q(), &rows, `SELECT DISTINCT ON (payout_id) payout_id, detail FROM payout_events
		WHERE payout_id = ANY(`+arrayParam("$1", "bigint")+`::bigint[]) AND decision = 'error' ORDER BY payout_id, id DESC`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("store: why stuck payouts' checks failed: %w", err)
	}
	why := make(map[int64]string, len(rows))
	for _, r := range rows {
		why[r.PayoutID] = r.Detail
	}
	for i := range ps {
		if ps[i].LastCheckFailed != nil {
			w := why[ps[i].ID]
			ps[i].LastCheckFailed = &w
		}
	}
	return nil
}

// StuckCount is the number of stuck payouts of one provider in one age
// bucket, with the oldest one's last change.
type StuckCount struct {
	Provider string    `db:"provider"`
	Bucket   int       `db:"bucket"` // index into StuckBuckets
	Count    int       `db:"count"`
	Oldest   time.Time `db:"oldest"`
}

// StuckBuckets are the age buckets of the overview, by time since the
// payout's last change: under 1 h, 1-6 h, 6-24 h, over 24 h.
var StuckBuckets = []string{"< 1 h", "1–6 h", "6–24 h", "> 24 h"}

// StuckSummary counts stuck payouts (no change since before, at now) by
// provider and age bucket: live payouts, or test payouts when test. Sent
// unprepared, so PostgreSQL plans it for the mode asked (livemode <> $3
// folds into livemode or NOT livemode) and reads that mode's index; a
// prepared one's generic plan could use neither (see stuckWhere). So is
// StuckPausedByProvider.
func (s *Store) StuckSummary(ctx context.Context, before, now time.Time, test bool) ([]StuckCount, error) {
	var out []StuckCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT provider,
			CASE WHEN updated_at > $2::timestamptz - interval '1 hour' THEN 0
			     WHEN updated_at > $2::timestamptz - interval '6 hours' THEN 1
			     WHEN updated_at > $2::timestamptz - interval '24 hours' THEN 2
			     ELSE 3 END AS bucket,
			count(*) AS count, min(updated_at) AS oldest
		FROM payouts
		WHERE status IN ('QUEUED', 'PROCESSING') AND updated_at < $1 AND livemode <> $3
		GROUP BY 1, 2 ORDER BY 1, 2`, before, now, test)
	if err != nil {
		return nil, fmt.Errorf("store: stuck summary: %w", err)
	}
	return out, nil
}

// StuckPausedByProvider counts, per provider, the stuck payouts (no change
// since before) that payops holds back unsent because their provider is
// paused: live payouts, or test payouts when test. The overview's stuck
// tile leaves them out of its number and names them beside it. When no
// provider is paused (most of the time) no payout is read.
func (s *Store) StuckPausedByProvider(ctx context.Context, before time.Time, test bool) ([]ProviderCount, error) {
	if paused, err := s.anyPaused(ctx); err != nil || !paused {
		return nil, err
	}
	var out []ProviderCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT p.provider, count(*) AS count, min(p.updated_at) AS oldest FROM payouts p
		WHERE p.updated_at < $1 AND p.livemode <> $2 AND `+heldBackSQL+`
		GROUP BY 1 ORDER BY 1`, before, test)
	if err != nil {
		return nil, fmt.Errorf("store: stuck payouts paused: %w", err)
	}
	return out, nil
}
