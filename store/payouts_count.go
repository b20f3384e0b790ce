package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// CountCap is where counting matches stops: above it the count is the
// planner's estimate.
const CountCap = 10000

// CountPayouts returns how many payouts q selects (ignoring its cursor),
// exactly up to CountCap; above it the planner's estimate, with exact false.
func (s *Store) CountPayouts(ctx context.Context, q PayoutQuery) (n int, exact bool, err error) {
	q.After = nil
	var args []any
	where := q.where(&args)
	// No condition is on the beneficiary, and every payout has one. Without
	// the join a count can be read from an index alone, and the count of
	// every payout is not merged along payouts_by_beneficiary (170 ms).
	from := ` FROM payouts p WHERE ` + where
	err = q.db(s).GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1`+from+` LIMIT `+strconv.Itoa(CountCap+1)+`) c`, args...)
	if err != nil {
		return 0, false, fmt.Errorf("store: count payouts: %w", err)
	}
	if n <= CountCap {
		return n, true, nil
	}
	var plan []byte
	if err := q.db(s).GetContext(ctx, &plan, `EXPLAIN (FORMAT JSON) SELECT 1`+from, args...); err != nil {
		return n, false, fmt.Errorf("store: estimate payouts: %w", err)
	}
	return max(planRows(plan), n), false, nil
}

// planRows returns the rows the top node of an EXPLAIN (FORMAT JSON) plan
// expects.
func planRows(plan []byte) int {
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if json.Unmarshal(plan, &p) != nil || len(p) == 0 {
		return 0
	}
	return int(p[0].Plan.Rows)
}
