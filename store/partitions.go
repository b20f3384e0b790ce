package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// HistoryTable is a table partitioned by month (migration 00040).
type HistoryTable struct {
	Name string
	Key  string // the timestamp column it is partitioned by
	// Archivable is false for the ledger, which is never archived, and for
	// job_runs, which PruneRuns drops without archiving (Pruned).
	Archivable bool
	// Pruned is true for job_runs: its old rows are deleted by PruneRuns,
	// not kept for ever nor archived.
	Pruned bool
	// ArchivedWith deletes, when a month of the table is archived, the rows
	// of another table that live no longer than it: a statement with %s for
	// the month's partition, run in the archive's transaction.
	ArchivedWith string
}

// HistoryTables are the tables partitioned by month, in the order history
// is written.
var HistoryTables = []HistoryTable{
	// A provider event's dedupe record (webhook_events, not partitioned)
	// goes with the month of its first delivery: the delivery's archived
	// row keeps its event id, payout and outcome, and a provider sending the
	// event again after that is judged by the payout's state, as a stale
	// webhook is. Without it the table grew by a row per event for ever.
	// Orphans (no payout yet) stay: a payout made later still adopts them,
	// and their exception cases close by them.
	{Name: "webhook_deliveries", Key: "received_at", Archivable: true,
		ArchivedWith: `DELETE FROM webhook_events e USING %s d
			WHERE e.provider = d.provider AND e.event_id = d.event_id AND e.delivery_id = d.id
				AND e.payout_id IS NOT NULL`},
	{Name: "payout_events", Key: "recorded_at", Archivable: true},
	{Name: "audit_log", Key: "at", Archivable: true},
	{Name: "gate_evaluations", Key: "evaluated_at", Archivable: true},
	{Name: "job_runs", Key: "started_at", Pruned: true},
	{Name: "ledger_postings", Key: "payout_created_at"},
	{Name: "ledger_entries", Key: "payout_created_at"},
}

// historyTable returns the history table named name, or ErrNotFound.
func historyTable(name string) (HistoryTable, error) {
	for _, t := range HistoryTables {
		if t.Name == name {
			return t, nil
		}
	}
	return HistoryTable{}, fmt.Errorf("store: %q is no partitioned history table: %w", name, ErrNotFound)
}

// Partition is one month of a history table.
type Partition struct {
	Table string
	Name  string    // <table>_pYYYYMM
	Month time.Time // its first instant, UTC
}

// End returns the first instant after the partition's month.
func (p Partition) End() time.Time { return p.Month.AddDate(0, 1, 0) }

var monthSuffix = regexp.MustCompile(`_p(\d{6})$`)

// Partitions returns the monthly partitions of table, oldest first; the
// default partition is not one of them.
func (s *Store) Partitions(ctx context.Context, table string) ([]Partition, error) {
	var names []string
	err := s.db.SelectContext(ctx, &names, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = $1::regclass ORDER BY c.relname`, table)
	if err != nil {
		return nil, fmt.Errorf("store: partitions of %s: %w", table, err)
	}
	var out []Partition
	for _, n := range names {
		if month, ok := partitionMonth(table, n); ok {
			out = append(out, Partition{Table: table, Name: n, Month: month})
		}
	}
	return out, nil
}

// partitionMonth is the month of table's partition name, as payops names
// its months (table_pYYYYMM); ok is false for any other name.
func partitionMonth(table, name string) (month time.Time, ok bool) {
	m := monthSuffix.FindStringSubmatch(name)
	if m == nil || name != table+m[0] {
		return time.Time{}, false
	}
	month, err := time.Parse("200601", m[1])
	return month, err == nil
}

// defaultCountSQL counts the rows of a default partition up to
// DefaultCountCap.
func defaultCountSQL(partition string) string {
	return `SELECT count(*) FROM (SELECT 1 FROM ` + pq.QuoteIdentifier(partition) + ` LIMIT ` +
		strconv.Itoa(DefaultCountCap) + `) x`
}

// DefaultCountCap is how far the rows of a default partition are counted:
// enough to say there are many.
const DefaultCountCap = 10000

// DefaultRows counts, per history table, the rows in its default partition
// (up to DefaultCountCap each): rows whose month had no partition
// when they were written — the partitions job did not run for months, or a
// time far ahead. Zero normally; such rows are never archived.
func (s *Store) DefaultRows(ctx context.Context) (map[string]int64, error) {
	var parts []string
	for _, t := range HistoryTables {
		parts = append(parts, `SELECT `+pq.QuoteLiteral(t.Name)+` AS name, (`+defaultCountSQL(t.Name+"_default")+`) AS n`)
	}
	var rows []struct {
		Name string `db:"name"`
		N    int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, strings.Join(parts, " UNION ALL ")); err != nil {
		return nil, fmt.Errorf("store: default partitions: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Name] = r.N
	}
	return out, nil
}

// MakePartitions makes the monthly partitions of every history table from
// now's month to the month ahead months later, those missing, and returns
// how many it made. A month whose rows already sit in a table's default
// partition (written with a time months ahead, or while nobody made the
// month) cannot be made; it fails alone — every other month of every table
// is still made, and the errors are joined.
func (s *Store) MakePartitions(ctx context.Context, now time.Time, ahead int) (int, error) {
	made := 0
	var errs []error
	first := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC) // not the 31st: no month skipped
	for _, t := range HistoryTables {
		for i := 0; i <= ahead; i++ {
			month := first.AddDate(0, i, 0)
			var n int
			err := s.WithTx(ctx, func(q Querier) error {
				if err := waitForDDL(ctx, q); err != nil {
					return err
				}
				return q.GetContext(ctx, &n, `SELECT payops_make_partitions($1::regclass, $2, $2)`, t.Name, month)
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("store: make %s's partition of %s: %w", t.Name, month.Format("2006-01"), err))
				continue
			}
			made += n
		}
	}
	return made, errors.Join(errs...)
}

// waitForDDL bounds how long q's transaction waits for a table lock. Making,
// detaching or dropping a partition takes its parent's strongest lock, and
// while that request waits (behind a long export's read, say) every writer
// of the table queues behind it: webhooks, applies and intake would stall.
// Each of these jobs gives up after ddlLockWait and tries again at its next
// run (months are made three ahead; old ones wait a night).
func waitForDDL(ctx context.Context, q Querier) error {
	_, err := q.ExecContext(ctx, `SET LOCAL lock_timeout = '`+ddlLockWait+`'`)
	return err
}

const ddlLockWait = "2s"

// runOver is PruneRuns' condition of a job run j that is over: finished,
// or abandoned (a later run of its job exists).
const runOver = `(j.finished_at IS NOT NULL OR EXISTS (SELECT 1 FROM job_runs r WHERE r.job = j.job AND r.id > j.id))`

// PruneRuns deletes the job runs started before before that are over and
// returns how many. Whole months before it are dropped as partitions (a
// month with a run that may still be going is kept, as that run is), the
// rest deleted. A run is over when it finished, or when it was abandoned:
// never finished (its instance died mid-run) and its job has run again
// since, which the job's lock allows only once the run's instance let go.
func (s *Store) PruneRuns(ctx context.Context, before time.Time) (int, error) {
	parts, err := s.Partitions(ctx, "job_runs")
	if err != nil {
		return 0, err
	}
	pruned := 0
	for _, p := range parts {
		if p.End().After(before) {
			break
		}
		err := s.WithTx(ctx, func(q Querier) error {
			var n struct {
				All, Open int
			}
			if err := waitForDDL(ctx, q); err != nil {
				return err
			}
			// The lock keeps a late Finish from changing what is counted.
			if _, err := q.ExecContext(ctx, `LOCK TABLE `+pq.QuoteIdentifier(p.Name)+` IN SHARE MODE`); err != nil {
				return err
			}
			if err := q.QueryRowxContext(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT (`+runOver+`))
				FROM `+pq.QuoteIdentifier(p.Name)+` j`).Scan(&n.All, &n.Open); err != nil {
				return err
			}
			if n.Open > 0 {
				return nil
			}
			if _, err := q.ExecContext(ctx, `DROP TABLE `+pq.QuoteIdentifier(p.Name)); err != nil {
				return err
			}
			pruned += n.All
			return nil
		})
		if err != nil {
			return pruned, fmt.Errorf("store: prune job runs: drop %s: %w", p.Name, err)
		}
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM job_runs j WHERE started_at < $1 AND `+runOver, before)
	if err != nil {
		return pruned, fmt.Errorf("store: prune job runs: %w", err)
	}
	n, _ := res.RowsAffected()
	return pruned + int(n), nil
}
