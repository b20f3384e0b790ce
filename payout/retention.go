package payout

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ArchivableTables are the history tables whose old months may be archived
// and dropped. The ledger is never archived; job runs are pruned, not
// archived.
var ArchivableTables = []string{"webhook_deliveries", "payout_events", "audit_log", "gate_evaluations"}

// DefaultRetention is PAYOPS_RETENTION's default: deliveries six months, the
// history a payout's evidence rests on seven years.
const DefaultRetention = "webhook_deliveries=6m,payout_events=7y,audit_log=7y,gate_evaluations=7y"

// Retention is how many whole months each history table keeps before the
// retention job archives a month; a table not named is kept for ever.
type Retention map[string]int

// ParseRetention reads "table=6m,table=7y" (months or years). It refuses the
// ledger, job_runs and names that are no history table.
func ParseRetention(s string) (Retention, error) {
	r := Retention{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		table, span, ok := strings.Cut(part, "=")
		table, span = strings.TrimSpace(table), strings.TrimSpace(span)
		if !ok || span == "" {
			return nil, fmt.Errorf("retention %q: want table=6m or table=7y", part)
		}
		if strings.HasPrefix(table, "ledger") {
			return nil, fmt.Errorf("retention %q: the ledger is never archived", part)
		}
		if !slices.Contains(ArchivableTables, table) {
			return nil, fmt.Errorf("retention %q: %s is not one of %s", part, table, strings.Join(ArchivableTables, ", "))
		}
		unit := 1
		switch span[len(span)-1] {
		case 'm':
		case 'y':
			unit = 12
		default:
			return nil, fmt.Errorf("retention %q: give months (6m) or years (7y)", part)
		}
		n, err := strconv.Atoi(span[:len(span)-1])
		if err != nil || n < 1 || n > 100 {
			return nil, fmt.Errorf("retention %q: a whole number of months or years from 1", part)
		}
		r[table] = n * unit
	}
	return r, nil
}

// Due reports whether table's month (its first instant, UTC) is to be
// archived at now: the whole month ended more than the table's retention
// ago. A table with no retention is never due.
func (r Retention) Due(table string, month, now time.Time) bool {
	at, ok := r.DueAt(table, month)
	return ok && !at.After(now)
}

// DueAt returns when table's month (its first instant, UTC) becomes due to
// be archived: once the whole month is older than the table's retention. A
// table with no retention is never due (false).
func (r Retention) DueAt(table string, month time.Time) (time.Time, bool) {
	keep, ok := r[table]
	if !ok {
		return time.Time{}, false
	}
	return month.AddDate(0, 1+keep, 0), true
}

// Keeps says how long the retention keeps table's months: "6 months",
// "7 years", or "for ever" for a table it does not name.
func (r Retention) Keeps(table string) string {
	keep, ok := r[table]
	switch {
	case !ok:
		return "for ever"
	case keep%12 == 0:
		return spanOf(keep/12, "year")
	}
	return spanOf(keep, "month")
}

// spanOf says n units: "1 year", "6 months".
func spanOf(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// String writes the retention as PAYOPS_RETENTION does ("webhook_deliveries=6m,
// audit_log=7y"), in ArchivableTables' order; "" when it names none.
func (r Retention) String() string {
	var out []string
	for _, t := range ArchivableTables {
		if n, ok := r[t]; ok {
			if n%12 == 0 {
				out = append(out, t+"="+strconv.Itoa(n/12)+"y")
			} else {
				out = append(out, t+"="+strconv.Itoa(n)+"m")
			}
		}
	}
	return strings.Join(out, ",")
}
