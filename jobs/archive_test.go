package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func TestArchiverArchivesTheMonthsPastRetention(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	from := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.DB().Exec(`SELECT payops_make_partitions(t, $1, $2) FROM unnest(ARRAY['webhook_deliveries', 'audit_log',
		'ledger_postings', 'payout_events', 'gate_evaluations']::regclass[]) t`, from, now); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		SELECT 't', 'x', 'y', g::text, $1::timestamptz + g * interval '1 day' FROM generate_series(0, 200) g`, from)
	dir := filepath.Join(t.TempDir(), "archive")
	retention, err := payout.ParseRetention("webhook_deliveries=6m,audit_log=7m")
	if err != nil {
		t.Fatal(err)
	}
	a := &jobs.Archiver{Store: s, Dir: dir, Retention: retention, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// A folder that is not there (a volume not mounted) is not made: the
	// run fails and nothing is archived or dropped.
	if out, err := a.Run(ctx); err == nil || !strings.Contains(err.Error(), "not there") || out.Changed != 0 {
		t.Errorf("with the folder missing: %+v, %v; want it refused", out, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the missing folder was made: %v", err)
	}
	if parts, _ := s.Partitions(ctx, "audit_log"); len(parts) == 0 || !parts[0].Month.Equal(from) {
		t.Errorf("the audit log's months after a refused run: %+v, want April's kept", parts)
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	out, err := a.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Deliveries of April and May (6 months), the audit log's April (7).
	if out.Changed != 3 {
		t.Errorf("archived %d months, want 3", out.Changed)
	}
	for _, name := range []string{"webhook_deliveries_p202604", "webhook_deliveries_p202605", "audit_log_p202604"} {
		if _, err := os.Stat(filepath.Join(dir, name+".jsonl.gz")); err != nil {
			t.Error(err)
		}
	}
	archives, err := s.Archives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	var got []string
	for _, ar := range archives {
		rows += ar.Rows
		got = append(got, ar.Table+" "+ar.Month.Format("2006-01"))
	}
	if fmt.Sprint(got) != "[audit_log 2026-04 webhook_deliveries 2026-04 webhook_deliveries 2026-05]" {
		t.Errorf("archives %v", got)
	}
	if rows != 30 {
		t.Errorf("%d rows archived, want April's 30 audit rows", rows)
	}
	if again, err := a.Run(ctx); err != nil || again.Changed != 0 {
		t.Errorf("again: %+v, %v; want nothing", again, err)
	}
	if out, err := (&jobs.Archiver{Store: s, Retention: retention}).Run(ctx); err != nil || out.Changed != 0 {
		t.Errorf("with no folder: %+v, %v; want nothing archived", out, err)
	}
}

// failingMonths is an archive store whose months of failing do not
// archive; it records the months asked for.
type failingMonths struct {
	months   map[string][]time.Time
	failing  map[string]bool // table_pYYYYMM
	archived map[string]bool // archived already, its partition made again
	asked    []string
}

func (f *failingMonths) Partitions(_ context.Context, table string) ([]store.Partition, error) {
	var out []store.Partition
	for _, m := range f.months[table] {
		out = append(out, store.Partition{Table: table, Name: table + "_p" + m.Format("200601"), Month: m})
	}
	return out, nil
}

func (f *failingMonths) ArchivePartition(_ context.Context, p store.Partition, _ string) (store.Archive, error) {
	f.asked = append(f.asked, p.Name)
	if f.failing[p.Name] {
		return store.Archive{}, fmt.Errorf("%s: lock timeout", p.Name)
	}
	if f.archived[p.Name] {
		return store.Archive{}, fmt.Errorf("%s: archived already: %w", p.Name, store.ErrConflict)
	}
	return store.Archive{Table: p.Table, Month: p.Month}, nil
}

// A month that fails to archive holds back its table's later months (what
// is archived is always everything before a month), not other tables'; a
// month archived already (its partition made again) holds back nothing.
func TestArchiverLeavesNoHoleBehindAFailedMonth(t *testing.T) {
	apr, may := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	f := &failingMonths{months: map[string][]time.Time{"webhook_deliveries": {apr, may}, "audit_log": {apr, may}},
		failing: map[string]bool{"webhook_deliveries_p202604": true}, archived: map[string]bool{"audit_log_p202604": true}}
	a := &jobs.Archiver{Store: f, Dir: t.TempDir(), Retention: payout.Retention{"webhook_deliveries": 1, "audit_log": 1},
		Now: func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	out, err := a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "webhook_deliveries_p202604") {
		t.Errorf("run: %v, want April's deliveries' failure", err)
	}
	if got := strings.Join(f.asked, " "); got != "webhook_deliveries_p202604 audit_log_p202604 audit_log_p202605" {
		t.Errorf("months archived: %s; want May's deliveries held back behind April's", got)
	}
	if out.Changed != 1 {
		t.Errorf("changed %d, want the audit log's May (its April archived already does not hold it back)", out.Changed)
	}
}
