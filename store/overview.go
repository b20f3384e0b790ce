package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"payops/payout"
)

// DayCount is how many payouts of one provider and currency that were
// created on one business day are in one state now, and their amount.
type DayCount struct {
	Day      int           `db:"day"` // i: created in [days[i], days[i+1]) of DailyCounts' days
	Provider string        `db:"provider"`
	Currency string        `db:"currency"`
	Status   payout.Status `db:"status"`
	Count    int64         `db:"count"`
	Minor    int64         `db:"minor"` // the amounts' sum in the currency's minor units
}

// DailyCounts counts the payouts created from days[0] to days[len(days)-1]
// (the business days' bounds, ascending) by the day they were created on,
// provider, currency and state: live payouts, or test payouts when test.
//
// Live payouts are counted from the folded counts by 15 minutes of creation
// (payout_trend_counts plus the deltas not folded yet, migration 00053):
// each day its ~96 buckets a provider, currency and state, whatever the
// day's volume. Test payouts, which those counts skip, are few: one grouped
// query over them, each day a range of the created_at index (payouts_created),
// hashed into a few hundred groups. (Grouping by an expression of created_at
// instead, the planner cannot tell how few groups there are and sorts every
// row.)
func (s *Store) DailyCounts(ctx context.Context, days []time.Time, test bool) ([]DayCount, error) {
	if len(days) < 2 {
		return nil, fmt.Errorf("store: daily counts: need a day's two bounds, got %d", len(days))
	}
	bounds := make([]string, len(days))
	for i, d := range days {
		bounds[i] = `"` + d.UTC().Format(time.RFC3339Nano) + `"`
	}
	array := func(b []string) string { return "{" + strings.Join(b, ",") + "}" }
	query := `
		SELECT d.i - 1 AS day, c.provider, c.currency, c.status, sum(c.n)::bigint AS count, sum(c.minor)::bigint AS minor
		FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS d (first, next, i)
		JOIN (SELECT bucket, provider, currency, status, n, minor FROM payout_trend_counts
		      UNION ALL SELECT bucket, provider, currency, status, n, minor FROM payout_deltas
		      WHERE bucket IS NOT NULL) c ON c.bucket >= d.first AND c.bucket < d.next
		GROUP BY 1, 2, 3, 4 HAVING sum(c.n) <> 0 ORDER BY 1, 2, 3, 4`
	if test {
		query = `
		SELECT d.i - 1 AS day, p.provider, p.currency, p.status, count(*) AS count, sum(p.amount_minor) AS minor
		FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS d (first, next, i)
		JOIN payouts p ON p.created_at >= d.first AND p.created_at < d.next
		WHERE NOT p.livemode
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`
	}
	var out []DayCount
	err := s.db.SelectContext(ctx, &out, query, array(bounds[:len(bounds)-1]), array(bounds[1:]))
	if err != nil {
		return nil, fmt.Errorf("store: daily counts: %w", err)
	}
	return out, nil
}
