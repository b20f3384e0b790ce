package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"payops/store"
	"payops/store/pgtest"
)

// The stuck list's count is a prepared statement, so PostgreSQL plans it
// once per connection: its generic plan must be the custom one, a range of
// the mode's index of open payouts (migration 00068) filtered neither on the
// mode nor on a parameter a custom plan would have folded away (a provider
// that may be empty, "livemode <> $3"), for every filter the list offers.
func TestStuckCountGenericPlanFiltersOnlyWhatIsAsked(t *testing.T) {
	s := pgtest.New(t)
	for i, f := range []store.StuckFilter{
		{}, {Provider: "sandbox"}, {Test: true}, {Provider: "xendit", Test: true},
	} {
		f.Before = time.Now()
		query, args := store.StuckCountSQL(f)
		lits := make([]string, len(args))
		for j, a := range args {
			switch a := a.(type) {
			case time.Time:
				lits[j] = pq.QuoteLiteral(a.Format(time.RFC3339Nano)) + "::timestamptz"
			default:
				lits[j] = pq.QuoteLiteral(fmt.Sprint(a))
			}
		}
		tx, err := s.DB().Beginx()
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for _, stmt := range []string{`SET LOCAL plan_cache_mode = force_generic_plan`, `SET LOCAL enable_seqscan = off`,
			fmt.Sprintf(`PREPARE stuck_count_%d AS %s`, i, query)} {
			if _, err := tx.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Select(&plan, fmt.Sprintf(`EXPLAIN (COSTS OFF) EXECUTE stuck_count_%d(%s)`, i,
			strings.Join(lits, ", "))); err != nil {
			t.Fatal(err)
		}
		tx.Rollback() // the statement outlives it: its name is this filter's own
		index := "payouts_open_live_by_updated"
		if f.Test {
			index = "payouts_open_test_by_updated"
		}
		// The mode is the index's: its scan names no livemode, and no
		// parameter it could have folded away.
		scan := scanOf(plan, "Index Only Scan using "+index+" on payouts p")
		if scan == "" || strings.Contains(scan, "livemode") || strings.Contains(scan, " OR ") {
			t.Errorf("%+v: the generic plan is not one index range filtered on what was asked:\n%s", f,
				strings.Join(plan, "\n"))
		}
	}
}

// scanOf returns the plan's node whose line contains node, with the lines
// indented under it (its conditions), or "" when it is not there.
func scanOf(plan []string, node string) string {
	for i, line := range plan {
		if !strings.Contains(line, node) {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " ->"))
		out := []string{line}
		for _, l := range plan[i+1:] {
			if len(l)-len(strings.TrimLeft(l, " ")) <= indent {
				break
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	return ""
}
