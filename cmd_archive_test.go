package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

func TestArchiveCommands(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	month := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.DB().MustExec(`SELECT payops_make_partitions('audit_log', $1, $1)`, month)
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		SELECT 'cli', 'x', 'payout', g::text, $1::timestamptz + g * interval '1 hour' FROM generate_series(1, 7) g`, month)
	dir := t.TempDir()
	if _, err := s.ArchivePartition(ctx, store.Partition{Table: "audit_log", Name: "audit_log_p202501", Month: month}, dir); err != nil {
		t.Fatal(err)
	}
	runCmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, env(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	file := filepath.Join(dir, "audit_log_p202501.jsonl.gz")
	out, err := runCmd("archive", "list")
	if err != nil || !strings.Contains(out, "2025-01") || !strings.Contains(out, file) || !strings.Contains(out, " 7 rows") {
		t.Errorf("archive list: %q, %v", out, err)
	}
	out, err = runCmd("archive", "restore", file)
	if err != nil || !strings.Contains(out, "7 rows") || !strings.Contains(out, "restored_audit_log_p202501") {
		t.Errorf("archive restore: %q, %v", out, err)
	}
	var n int
	s.DB().Get(&n, `SELECT count(*) FROM restored_audit_log_p202501`)
	if n != 7 {
		t.Errorf("%d rows restored, want 7", n)
	}
	if _, err := runCmd("archive", "restore", filepath.Join(dir, "nope.jsonl.gz")); err == nil ||
		!strings.Contains(err.Error(), "no such file") {
		t.Errorf("restore of a file that is not there: %v", err)
	}
	unknown := filepath.Join(dir, "audit_log_p202502.jsonl.gz")
	os.WriteFile(unknown, []byte("not an archive"), 0o600)
	if _, err := runCmd("archive", "restore", unknown); err == nil || !strings.Contains(err.Error(), "no archive") {
		t.Errorf("restore of a file no archive recorded: %v", err)
	}
	if _, err := runCmd("archive", "restore"); err != errUsage {
		t.Errorf("restore with no file: %v, want usage", err)
	}
}
