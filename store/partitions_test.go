package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store/pgtest"
)

func TestMakePartitionsMakesTheMonthsAheadOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().UTC()
	if _, err := s.MakePartitions(ctx, now, 3); err != nil {
		t.Fatal(err)
	}
	made, err := s.MakePartitions(ctx, now, 6)
	if err != nil {
		t.Fatal(err)
	}
	if made != 3*7 {
		t.Errorf("six months ahead after three: made %d partitions, want 3 for each of 7 tables", made)
	}
	if again, err := s.MakePartitions(ctx, now, 6); err != nil || again != 0 {
		t.Errorf("again: made %d, %v; want 0", again, err)
	}
	parts, err := s.Partitions(ctx, "audit_log")
	if err != nil {
		t.Fatal(err)
	}
	last := parts[len(parts)-1]
	want := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 6, 0)
	if !last.Month.Equal(want) || last.Name != "audit_log_p"+want.Format("200601") {
		t.Errorf("latest partition %+v, want %s", last, want)
	}
	// A new month's partition refuses changes like the others.
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at) VALUES ('t', 'x', 'y', '1', $1)`,
		want.Add(time.Hour))
	for _, q := range []string{`DELETE FROM ` + last.Name, `TRUNCATE ` + last.Name} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("%s: no error, want refusal", q)
		}
	}
}

// Each month's ledger entries reference that month's postings (migration
// 00070), and the default partition's the whole table: an entry without
// its posting is refused in this month, in a month the partitions job
// makes later, in the default partition, and in a month whose postings'
// month was made and entries' month not (its entries in the default); an
// entry with its posting is written in each.
func TestEveryMonthOfTheLedgerKeepsItsReference(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().UTC()
	if _, err := s.MakePartitions(ctx, now, 6); err != nil {
		t.Fatal(err)
	}
	postingsOnly := now.AddDate(0, 9, 0)
	if _, err := s.DB().Exec(`SELECT payops_make_partitions('ledger_postings', $1, $1)`, postingsOnly); err != nil {
		t.Fatal(err)
	}
	p := newPayout(t, s, "KEYS-1", payout.Processing)
	for what, at := range map[string]time.Time{
		"this month":                       now,
		"a month made by the job":          now.AddDate(0, 6, 0),
		"a month in the default partition": time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC),
		"a month of postings only":         postingsOnly,
	} {
		entry := `INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
			VALUES ($1, $2, 'payable', 'debit', 1, 'INR')`
		_, err := s.DB().Exec(entry, 1<<40, at)
		if err == nil || !strings.Contains(err.Error(), "foreign key") {
			t.Errorf("%s: an entry of no posting: %v, want the reference refusing it", what, err)
		}
		var posting int64
		if err := s.DB().Get(&posting, `INSERT INTO ledger_postings (payout_id, kind, payout_created_at)
			VALUES ($1, 'succeeded', $2) RETURNING id`, p.ID, at); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().Exec(entry, posting, at); err != nil {
			t.Errorf("%s: an entry of its posting: %v", what, err)
		}
	}
}

func TestPruneRunsDropsWholeMonths(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	this := time.Now().UTC()
	this = time.Date(this.Year(), this.Month(), 1, 0, 0, 0, 0, time.UTC)
	old := this.AddDate(0, -3, 0)
	if _, err := s.DB().Exec(`SELECT payops_make_partitions('job_runs', $1, $2)`, old, this); err != nil {
		t.Fatal(err)
	}
	run := func(job string, at time.Time, finished bool) {
		t.Helper()
		s.DB().MustExec(`INSERT INTO job_runs (job, instance, trigger, started_at, finished_at)
			VALUES ($1, 'h', 'manual', $2::timestamptz, CASE WHEN $3 THEN $2::timestamptz + interval '1 second' END)`,
			job, at, finished)
	}
	for i := 0; i < 5; i++ {
		run("a", old.Add(time.Duration(i)*time.Hour), true) // a whole month, dropped
	}
	run("b", old.AddDate(0, 1, 0), true)                        // a month with a run never finished: deleted, month kept
	run("b", old.AddDate(0, 1, 1), false)                       // never finished: kept
	run("c", old.AddDate(0, 2, 14), true)                       // before the cut, in the cut's month: deleted
	run("c", old.AddDate(0, 2, 20), true)                       // after the cut: kept
	run("d", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), true) // in the default partition: deleted
	run("e", old.AddDate(0, 2, 1), false)                       // abandoned (e ran again since): deleted
	run("e", old.AddDate(0, 2, 21), true)                       // after the cut: kept
	run("f", old.Add(10*time.Hour), false)                      // abandoned in the whole month: dropped with it
	run("f", old.AddDate(0, 2, 22), true)                       // after the cut: kept
	n, err := s.PruneRuns(ctx, old.AddDate(0, 2, 15))
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("pruned %d runs, want 10", n)
	}
	var left int
	s.DB().Get(&left, `SELECT count(*) FROM job_runs`)
	if left != 4 {
		t.Errorf("%d runs left, want 4", left)
	}
	parts, err := s.Partitions(ctx, "job_runs")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) == 0 || !parts[0].Month.Equal(old.AddDate(0, 1, 0)) {
		t.Errorf("oldest partition left %+v, want %s", parts, old.AddDate(0, 1, 0))
	}
}

// A month that cannot be made — its rows already in a table's default
// partition — fails alone: the other months of that table, and every other
// table's, are made; the error names it.
func TestAMonthInTheDefaultPartitionFailsAlone(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Date(2200, 1, 31, 12, 0, 0, 0, time.UTC) // the 31st: February is not skipped
	feb := time.Date(2200, 2, 1, 0, 0, 0, 0, time.UTC)
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at) VALUES ('t', 'x', 'y', '1', $1)`,
		feb.Add(time.Hour)) // lands in audit_log's default partition
	made, err := s.MakePartitions(ctx, now, 2)
	if err == nil || !strings.Contains(err.Error(), "audit_log's partition of 2200-02") {
		t.Errorf("err = %v, want audit_log's February named", err)
	}
	if made != 7*3-1 {
		t.Errorf("made %d partitions, want every one but audit_log's February (%d)", made, 7*3-1)
	}
	// The metrics say so (payops_history_default_rows, its alert).
	rows, err := s.DefaultRows(ctx)
	if err != nil || rows["audit_log"] != 1 || rows["payout_events"] != 0 || len(rows) != 7 {
		t.Errorf("default rows %v %v, want audit_log's one, none elsewhere, every table", rows, err)
	}
	for _, name := range []string{"audit_log_p220001", "audit_log_p220003", "payout_events_p220002"} {
		var exists bool
		s.DB().Get(&exists, `SELECT to_regclass($1) IS NOT NULL`, name)
		if !exists {
			t.Errorf("%s was not made", name)
		}
	}
}

// Making a month waits only a moment for its table's lock: behind a long
// read of the audit log (an export) it gives up, and the writers that would
// have queued behind its request are not held; the next run makes it.
func TestMakingAMonthGivesUpBehindALongRead(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().UTC()
	if _, err := s.MakePartitions(ctx, now, 3); err != nil {
		t.Fatal(err)
	}
	reader, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Exec(`LOCK TABLE audit_log IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	made, err := s.MakePartitions(ctx, now, 4)
	if err == nil || !strings.Contains(err.Error(), "lock timeout") || !strings.Contains(err.Error(), "audit_log") {
		t.Errorf("making a month behind a reader: %d, %v; want audit_log's refused on its lock timeout", made, err)
	}
	if made != 6 {
		t.Errorf("made %d months, want the 6 of the tables nobody was reading", made)
	}
	reader.Rollback()
	if made, err := s.MakePartitions(ctx, now, 4); err != nil || made != 1 {
		t.Errorf("the next run: made %d, %v; want audit_log's month", made, err)
	}
}
