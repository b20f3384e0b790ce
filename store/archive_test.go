package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// TestArchiveAndRestoreAMonth archives a month of deliveries and of the
// audit log to files, checks the record, the files and that the months are
// gone, then restores each into its side table row for row.
func TestArchiveAndRestoreAMonth(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	month := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.DB().Exec(`SELECT payops_make_partitions(t, $1, $1) FROM unnest(ARRAY['webhook_deliveries', 'audit_log',
		'ledger_postings']::regclass[]) t`, month); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`INSERT INTO webhook_deliveries (provider, received_at, headers, body, payload, verified, event_id, outcome)
		SELECT 'nxtbanking', $1::timestamptz + g * interval '10 minutes', jsonb_build_object('X-Id', g::text),
			convert_to('{"n":' || g || ', "é": "\u0000"}', 'UTF8') || '\x00ff'::bytea, 'p' || g, g % 2 = 0, 'ev-' || g, 'applied'
		FROM generate_series(1, 2500) g`, month)
	// Events first delivered in March go with March's deliveries, except
	// ev-3, an orphan (no payout yet: a payout made later adopts it); ev-4
	// was named by a March delivery but first delivered in another month (a
	// duplicate in March), ev-later never in March: they stay.
	p := newPayout(t, s, "ARCH-1", payout.Succeeded)
	s.DB().MustExec(`INSERT INTO webhook_events (provider, event_id, delivery_id, raw_status, status, payout_id)
		SELECT provider, event_id, id, 'SUCCESS', 'SUCCEEDED', CASE WHEN event_id <> 'ev-3' THEN $1::bigint END
		FROM webhook_deliveries WHERE event_id IN ('ev-1', 'ev-2', 'ev-3')`, p.ID)
	s.DB().MustExec(`INSERT INTO webhook_events (provider, event_id, delivery_id, raw_status, status) VALUES
		('nxtbanking', 'ev-4', 999999999, 'SUCCESS', 'SUCCEEDED'), ('nxtbanking', 'ev-later', 999999998, 'SUCCESS', 'SUCCEEDED')`)
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
		SELECT 'api:t', 'payout.create', 'payout', g::text, jsonb_build_object('n', g, 'q', 'a "quote"'), $1::timestamptz + g * interval '1 minute'
		FROM generate_series(1, 10) g`, month)
	fingerprint := func(table string) string {
		t.Helper()
		var h string
		if err := s.DB().Get(&h, `SELECT md5(string_agg(row_to_json(t)::text, E'\n' ORDER BY id)) FROM `+table+` t`); err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := map[string]string{"webhook_deliveries": fingerprint("webhook_deliveries_p202403"),
		"audit_log": fingerprint("audit_log_p202403")}

	if _, err := s.ArchivePartition(ctx, store.Partition{Table: "ledger_postings", Name: "ledger_postings_p202403",
		Month: month}, dir); err == nil {
		t.Error("archiving a month of the ledger: no error")
	}
	for table, rows := range map[string]int64{"webhook_deliveries": 2500, "audit_log": 10} {
		parts, err := s.Partitions(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		if !parts[0].Month.Equal(month) {
			t.Fatalf("%s's oldest month %+v", table, parts[0])
		}
		a, err := s.ArchivePartition(ctx, parts[0], dir)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, table+"_p202403.jsonl.gz")
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if a.File != file || a.Rows != rows || a.Bytes != st.Size() || len(a.SHA256) != 64 || !a.Month.Equal(month) {
			t.Errorf("%s archive %+v, want %d rows in %s of %d bytes", table, a, rows, file, st.Size())
		}
		var n int
		s.DB().Get(&n, `SELECT count(*) FROM `+table+` WHERE `+map[string]string{"audit_log": "at",
			"webhook_deliveries": "received_at"}[table]+` < '2024-04-01'`)
		var left bool
		s.DB().Get(&left, `SELECT to_regclass($1) IS NOT NULL`, table+"_p202403")
		if n != 0 || left {
			t.Errorf("%s after archiving: %d rows of the month, partition left %v", table, n, left)
		}
		if _, err := s.ArchivePartition(ctx, parts[0], dir); err == nil {
			t.Errorf("%s archived twice: no error", table)
		}

		a, err = s.RestoreArchive(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		side := "restored_" + table + "_p202403"
		if a.RestoredTable == nil || *a.RestoredTable != side || a.RestoredAt == nil {
			t.Errorf("restored %+v, want into %s", a, side)
		}
		if got := fingerprint(side); got != want[table] {
			t.Errorf("%s restored: rows differ from the month archived", side)
		}
		if _, err := s.DB().Exec(`DELETE FROM ` + side); err == nil {
			t.Errorf("DELETE FROM %s: no error, want the append-only refusal", side)
		}
		if _, err := s.RestoreArchive(ctx, file); !errors.Is(err, store.ErrConflict) {
			t.Errorf("restored twice: err = %v, want ErrConflict", err)
		}
		// Dropped when the investigation is done, the side table is named no
		// more, and the month can be restored again.
		s.DB().MustExec(`DROP TABLE ` + side)
		if all, err := s.Archives(ctx); err != nil || slices.ContainsFunc(all, func(a store.Archive) bool {
			return a.RestoredTable != nil && *a.RestoredTable == side
		}) {
			t.Errorf("after DROP TABLE %s the archives still name it (%v)", side, err)
		}
		if _, err := s.RestoreArchive(ctx, file); err != nil {
			t.Errorf("restored again after the side table was dropped: %v", err)
		}
	}

	var events []string
	if err := s.DB().Select(&events, `SELECT event_id FROM webhook_events ORDER BY event_id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(events, ",") != "ev-3,ev-4,ev-later" {
		t.Errorf("webhook_events after archiving March's deliveries: %v, want ev-3, ev-4 and ev-later only", events)
	}

	// A file changed since it was archived is refused before anything is loaded.
	file := filepath.Join(dir, "audit_log_p202403.jsonl.gz")
	b, _ := os.ReadFile(file)
	b[len(b)/2] ^= 1
	os.WriteFile(file, b, 0o600)
	s.DB().MustExec(`DROP TABLE restored_audit_log_p202403`)
	if _, err := s.RestoreArchive(ctx, file); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a changed file restored: %v, want it refused as damaged", err)
	}
	// The bytes loaded are the bytes checked: a file whose compressed rows
	// are intact but which has bytes after them is refused too, and nothing
	// is left loaded.
	b[len(b)/2] ^= 1
	var empty bytes.Buffer // a second, empty gzip member: the rows read the same
	gzip.NewWriter(&empty).Close()
	os.WriteFile(file, append(b, empty.Bytes()...), 0o600)
	if _, err := s.RestoreArchive(ctx, file); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a file with bytes after the archive restored: %v, want its SHA-256 refused", err)
	}
	var left bool
	s.DB().Get(&left, `SELECT to_regclass('restored_audit_log_p202403') IS NOT NULL`)
	if left {
		t.Error("a refused restore left its side table")
	}
	if _, err := s.RestoreArchive(ctx, filepath.Join(dir, "audit_log_p199901.jsonl.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file that is not there: err = %v, want it not found", err)
	}
	other := filepath.Join(t.TempDir(), "audit_log_p202405.jsonl.gz")
	os.WriteFile(other, empty.Bytes(), 0o600)
	if _, err := s.RestoreArchive(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a file no archive recorded: err = %v, want ErrNotFound", err)
	}
	// The archive fetched back from a backup under another name, in
	// another folder, is found by its checksum and loaded where its own
	// name says.
	os.WriteFile(file, b, 0o600)
	fetched := filepath.Join(t.TempDir(), "from-backup.gz")
	os.WriteFile(fetched, b, 0o600)
	if a, err := s.RestoreArchive(ctx, fetched); err != nil || a.RestoredTable == nil ||
		*a.RestoredTable != "restored_audit_log_p202403" || a.Rows == 0 {
		t.Errorf("restore of the archive under another name: %+v, %v", a, err)
	}
	// An archive's record is never deleted, and only where it was restored
	// to changes (migration 00071).
	for _, stmt := range []string{`DELETE FROM history_archives`, `TRUNCATE history_archives`,
		`UPDATE history_archives SET sha256 = 'x'`, `UPDATE history_archives SET rows = rows + 1`,
		`UPDATE history_archives SET file = '/elsewhere/' || file`} {
		if _, err := s.DB().Exec(stmt); err == nil || !strings.Contains(err.Error(), "history_archives") {
			t.Errorf("%s: %v, want refused", stmt, err)
		}
	}
	if _, err := s.DB().Exec(`UPDATE history_archives SET restored_table = NULL, restored_at = NULL`); err != nil {
		t.Errorf("forgetting where archives were restored: %v", err)
	}
	archives, err := s.ArchivesSince(ctx, month.Add(40*24*time.Hour))
	if err != nil || len(archives) != 0 {
		t.Errorf("archives since April 2024: %+v, %v; want none", archives, err)
	}
	if archives, err := s.ArchivesSince(ctx, month.Add(time.Hour)); err != nil || len(archives) != 2 {
		t.Errorf("archives since March 2024: %+v, %v; want 2", archives, err)
	}
}

// A file no archive records — what a crash between writing a month's file
// and committing left, or another database's archive in a folder shared by
// mistake, whose record names it — is left as it is: the next run writes
// the month beside it, and restores it from there; a stale temporary file
// goes.
func TestArchiveWritesBesideAFileItDidNotRecord(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	month := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.DB().Exec(`SELECT payops_make_partitions('audit_log'::regclass, $1, $1)`, month); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
		SELECT 'api:t', 'payout.create', 'payout', g::text, '{}', $1::timestamptz + g * interval '1 minute'
		FROM generate_series(1, 7) g`, month)
	leftover := filepath.Join(dir, "audit_log_p202404.jsonl.gz")
	if err := os.WriteFile(leftover, []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".archive-123")
	if err := os.WriteFile(stale, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	a, err := s.ArchivePartition(ctx, store.Partition{Table: "audit_log", Name: "audit_log_p202404", Month: month}, dir)
	if err != nil || a.Rows != 7 {
		t.Fatalf("archive over a leftover: %+v %v", a, err)
	}
	if b, err := os.ReadFile(leftover); err != nil || string(b) != "half a file" {
		t.Errorf("the file that was there holds %q, %v; want it untouched", b, err)
	}
	if dir, name := filepath.Split(a.File); filepath.Clean(dir) != filepath.Dir(leftover) ||
		!strings.HasPrefix(name, "audit_log_p202404-") || !strings.HasSuffix(name, ".jsonl.gz") {
		t.Errorf("the archive is %s, want beside the file that was there", a.File)
	}
	if st, err := os.Stat(a.File); err != nil || st.Size() != a.Bytes {
		t.Errorf("the archive's file: %v %v, want %d bytes", st, err, a.Bytes)
	}
	if r, err := s.RestoreArchive(ctx, a.File); err != nil || r.RestoredTable == nil ||
		*r.RestoredTable != "restored_audit_log_p202404" {
		t.Errorf("restore of the month written beside: %+v, %v", r, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file: %v, want it gone", err)
	}
}

// A commit that fails (here a deferred check raising at COMMIT, as an
// unanswered commit looks to payops) leaves the month's file where it is:
// the commit might have gone through, and then the record names that file.
// It did not here: the month is still there, and the next run archives it
// beside the file no archive records.
func TestArchiveKeepsTheFileWhenItsCommitFails(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	month := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	auditMonth(t, s, month)
	failArchiveCommits(t, s, 0)
	p := store.Partition{Table: "audit_log", Name: "audit_log_p202405", Month: month}
	if _, err := s.ArchivePartition(ctx, p, dir); err == nil || !strings.Contains(err.Error(), "commit refused") {
		t.Fatalf("archive with a failing commit: %v, want its error", err)
	}
	file := filepath.Join(dir, "audit_log_p202405.jsonl.gz")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the file after a failed commit: %v, want it kept", err)
	}
	var n int
	s.DB().Get(&n, `SELECT count(*) FROM audit_log_p202405`)
	if n != 5 {
		t.Fatalf("the month after a failed commit: %d rows, want 5 (rolled back)", n)
	}
	s.DB().MustExec(`DROP TRIGGER fail_at_commit ON history_archives`)
	a, err := s.ArchivePartition(ctx, p, dir)
	if err != nil || a.Rows != 5 || a.File == file {
		t.Fatalf("the next run: %+v %v, want the month archived beside %s", a, err, file)
	}
}

// After a failed commit, the lookup of the archive's own record is bounded:
// a database that does not answer it (here, its table locked by another
// session for as long as the test lasts) does not hold the archive, and so
// the archive job's lock, for ever. Unanswered, the file stays.
func TestArchiveLookupAfterAFailedCommitGivesUp(t *testing.T) {
	defer store.SetArchiveLookupTimeout(store.SetArchiveLookupTimeout(300 * time.Millisecond))
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	month := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	auditMonth(t, s, month)
	// The commit waits a moment, then fails: while it waits, another
	// session asks for the record's table, and gets it when the commit has
	// failed, before the lookup.
	failArchiveCommits(t, s, 0.5)
	release := make(chan struct{})
	locked := make(chan error, 1)
	go func() {
		for {
			var committing bool
			if err := s.DB().Get(&committing, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event = 'PgSleep')`); err != nil {
				locked <- err
				return
			}
			if committing {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		tx, err := s.DB().Beginx()
		if err != nil {
			locked <- err
			return
		}
		defer tx.Rollback()
		_, err = tx.Exec(`LOCK TABLE history_archives IN ACCESS EXCLUSIVE MODE`)
		locked <- err
		<-release
	}()
	defer close(release)
	done := make(chan error, 1)
	p := store.Partition{Table: "audit_log", Name: "audit_log_p202406", Month: month}
	go func() {
		_, err := s.ArchivePartition(ctx, p, dir)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "commit refused") {
			t.Fatalf("archive with a failing commit: %v, want its error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the archive still waits for the lookup of its record, with the database not answering it")
	}
	if err := <-locked; err != nil {
		t.Fatalf("locking the archives' table: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit_log_p202406.jsonl.gz")); err != nil {
		t.Fatalf("the file after an unanswered lookup: %v, want it kept", err)
	}
}

// auditMonth makes the audit log's partition of month with five entries in
// it.
func auditMonth(t *testing.T, s *store.Store, month time.Time) {
	t.Helper()
	if _, err := s.DB().Exec(`SELECT payops_make_partitions('audit_log'::regclass, $1, $1)`, month); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
		SELECT 'api:t', 'payout.create', 'payout', g::text, '{}', $1::timestamptz + g * interval '1 minute'
		FROM generate_series(1, 5) g`, month)
}

// failArchiveCommits makes every commit that records an archive fail
// ("commit refused", as an unanswered commit looks to payops), after
// waiting sleep seconds; DROP TRIGGER fail_at_commit ON history_archives
// ends it.
func failArchiveCommits(t *testing.T, s *store.Store, sleep float64) {
	t.Helper()
	s.DB().MustExec(fmt.Sprintf(`CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_sleep(%g); RAISE EXCEPTION 'commit refused'; END $$`, sleep))
	s.DB().MustExec(`CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON history_archives
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit()`)
}

// A month archived before its table changed restores after: a column the
// table lost since (here renamed) comes back as jsonb with what was
// archived, one it gained (NOT NULL, with a default) is NULL, and the
// restore says so.
func TestRestoreAfterTheTableChanged(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	month := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	s.DB().MustExec(`SELECT payops_make_partitions('audit_log'::regclass, $1, $1)`, month)
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
		SELECT 'api:t' || g, 'payout.create', 'payout', g::text, '{}', $1::timestamptz + g * interval '1 hour'
		FROM generate_series(1, 3) g`, month)
	a, err := s.ArchivePartition(ctx, store.Partition{Table: "audit_log", Name: "audit_log_p202405", Month: month}, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`ALTER TABLE audit_log RENAME COLUMN actor TO actor_name`)
	s.DB().MustExec(`ALTER TABLE audit_log ADD COLUMN reviewer text NOT NULL DEFAULT 'none'`)
	got, err := s.RestoreArchive(ctx, a.File)
	if err != nil {
		t.Fatalf("restore after the table changed: %v", err)
	}
	for _, want := range []string{"actor (no longer in the table: loaded as jsonb)", "actor_name (added since: NULL)",
		"reviewer (added since: NULL)"} {
		if !strings.Contains(got.ColumnsChanged, want) {
			t.Errorf("restore says %q, want %q in it", got.ColumnsChanged, want)
		}
	}
	var rows []struct {
		Actor    string  `db:"actor"`
		Name     *string `db:"actor_name"`
		Reviewer *string `db:"reviewer"`
	}
	if err := s.DB().Select(&rows, `SELECT actor #>> '{}' AS actor, actor_name, reviewer
		FROM restored_audit_log_p202405 ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Actor != "api:t1" || rows[2].Actor != "api:t3" || rows[0].Name != nil || rows[0].Reviewer != nil {
		t.Errorf("restored rows %+v, want the three actors archived and the new columns NULL", rows)
	}
}

// Empty months' files are the same bytes: one under another name is
// refused, naming the archives it could be; under its own name it loads.
func TestRestoreOfAnEmptyMonthNeedsItsName(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	var files []string
	for _, m := range []time.Time{time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)} {
		s.DB().MustExec(`SELECT payops_make_partitions('audit_log'::regclass, $1, $1)`, m)
		a, err := s.ArchivePartition(ctx, store.Partition{Table: "audit_log", Name: "audit_log_p" + m.Format("200601"), Month: m}, dir)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, a.File)
	}
	b, _ := os.ReadFile(files[0])
	other := filepath.Join(t.TempDir(), "some-month.jsonl.gz")
	os.WriteFile(other, b, 0o600)
	if _, err := s.RestoreArchive(ctx, other); err == nil || !strings.Contains(err.Error(), "2 archives have its checksum") {
		t.Errorf("an empty month under another name: %v, want refused naming both", err)
	}
	if a, err := s.RestoreArchive(ctx, files[1]); err != nil || a.RestoredTable == nil || *a.RestoredTable != "restored_audit_log_p202408" {
		t.Errorf("an empty month under its name: %+v, %v; want August's", a, err)
	}
}
