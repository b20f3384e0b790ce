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
// provider, currency and state: live payouts, or test payouts when test. It is one
// grouped query: each day a range of the created_at index (payouts_created),
// each payout of the days read once, none outside them, hashed into a few
// hundred groups. (Grouping by an expression of created_at instead, the
// planner cannot tell how few groups there are and sorts every row.)
func (s *Store) DailyCounts(ctx context.Context, days []time.Time, test bool) ([]DayCount, error) {
	if len(days) < 2 {
		return nil, fmt.Errorf("store: daily counts: need a day's two bounds, got %d", len(days))
	}
	bounds := make([]string, len(days))
	for i, d := range days {
		bounds[i] = `"` + d.UTC().Format(time.RFC3339Nano) + `"`
	}
	array := func(b []string) string { return "{" + strings.Join(b, ",") + "}" }
	var out []DayCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT d.i - 1 AS day, p.provider, p.currency, p.status, count(*) AS count, sum(p.amount_minor) AS minor
		FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS d (first, next, i)
		JOIN payouts p ON p.created_at >= d.first AND p.created_at < d.next
		WHERE p.livemode <> $3
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
		array(bounds[:len(bounds)-1]), array(bounds[1:]), test)
	if err != nil {
		return nil, fmt.Errorf("store: daily counts: %w", err)
	}
	return out, nil
}
