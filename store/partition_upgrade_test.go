package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"payops/migrations"
	"payops/store"
	"payops/store/pgtest"
)

// historyTables are the tables 00040 partitions, with a fingerprint of
// their rows: a count and a sum over columns every row has.
var historyTables = map[string]string{
	"webhook_deliveries": `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(length(body)), 0),
		md5(coalesce(string_agg(id || outcome || coalesce(payout_id, 0) || received_at::text, ',' ORDER BY id), '')) FROM webhook_deliveries`,
	"payout_events": `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(coalesce(delivery_id, 0)), 0),
		md5(coalesce(string_agg(id || decision || status || recorded_at::text, ',' ORDER BY id), '')) FROM payout_events`,
	"audit_log": `SELECT count(*), coalesce(sum(id), 0), 0,
		md5(coalesce(string_agg(id || action || details::text || at::text, ',' ORDER BY id), '')) FROM audit_log`,
	"gate_evaluations": `SELECT count(*), coalesce(sum(id), 0), 0,
		md5(coalesce(string_agg(id || gate || passed || evaluated_at::text, ',' ORDER BY id), '')) FROM gate_evaluations`,
	"job_runs": `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(examined + changed), 0),
		md5(coalesce(string_agg(id || job || coalesce(tick::text, '-') || started_at::text, ',' ORDER BY id), '')) FROM job_runs`,
	"ledger_postings": `SELECT count(*), coalesce(sum(id), 0), coalesce(sum(payout_id), 0),
		md5(coalesce(string_agg(id || kind || posted_at::text, ',' ORDER BY id), '')) FROM ledger_postings`,
	"ledger_entries": `SELECT count(*), coalesce(sum(id), 0),
		coalesce(sum(CASE direction WHEN 'debit' THEN amount_minor ELSE -amount_minor END), 0) + coalesce(sum(amount_minor), 0),
		md5(coalesce(string_agg(id::text || posting_id || account || direction || amount_minor, ',' ORDER BY id), '')) FROM ledger_entries`,
}

type fingerprint struct {
	N, IDs, Sum int64
	Hash        string
}

func fingerprints(t *testing.T, s *store.Store) map[string]fingerprint {
	t.Helper()
	out := map[string]fingerprint{}
	for table, q := range historyTables {
		var f fingerprint
		if err := s.DB().QueryRow(q).Scan(&f.N, &f.IDs, &f.Sum, &f.Hash); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out[table] = f
	}
	return out
}

// seedHistory writes, as the schema of 00038 has it, n payouts a month for
// each of the months, each with its whole history: deliveries, events,
// gate evaluations with a hold, audit rows, ledger postings and entries, and
// job runs.
func seedHistory(t *testing.T, s *store.Store, months []time.Time, n int) {
	t.Helper()
	var benID int64
	if err := s.DB().Get(&benID, `INSERT INTO beneficiaries (name, account_number, ifsc)
		VALUES ('Asha Rao', '123456789012', 'HDFC0001234') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for mi, month := range months {
		for i := 0; i < n; i++ {
			at := month.Add(time.Duration(i)*time.Hour + 90*time.Minute)
			ref := fmt.Sprintf("H-%d-%d", mi, i)
			stmts := []string{
				`INSERT INTO payouts (reference_id, provider, provider_payout_id, amount_minor, currency, status, beneficiary_id,
					created_at, updated_at) VALUES ($1, 'nxtbanking', 'pp-' || $1, 100000 + $3::int, 'INR', 'SUCCEEDED', $4, $2, $2)`,
				`INSERT INTO webhook_deliveries (provider, received_at, body, verified, event_id, outcome, payout_id)
					VALUES ('nxtbanking', $2, convert_to('{"ref":"' || $1 || '"}', 'UTF8'), true, 'ev-' || $1, 'applied',
					(SELECT id FROM payouts WHERE reference_id = $1))`,
				`INSERT INTO webhook_events (provider, event_id, delivery_id, raw_status, status, payout_id)
					SELECT 'nxtbanking', 'ev-' || $1, max(d.id), 'SUCCESS', 'SUCCEEDED', max(d.payout_id)
					FROM webhook_deliveries d WHERE d.event_id = 'ev-' || $1`,
				`INSERT INTO payout_events (payout_id, source, status, previous, decision, delivery_id, observed_at, recorded_at)
					SELECT payout_id, 'webhook', 'SUCCEEDED', 'PROCESSING', 'applied', id, $2, $2::timestamptz + interval '1 second'
					FROM webhook_deliveries WHERE event_id = 'ev-' || $1`,
				`INSERT INTO gate_evaluations (payout_id, gate, rule, passed, answer, occasion, actor, evaluated_at)
					SELECT id, 'review_threshold', 'amount <= threshold', $3::int % 2 = 0, 'checked', 'intake', 'api:t', $2
					FROM payouts WHERE reference_id = $1`,
				`INSERT INTO holds (payout_id, reason, detail, evaluation_id, placed_by, placed_at, sla_due_at, state)
					SELECT g.payout_id, 'review_threshold', 'above', g.id, 'api:t', $2, $2::timestamptz + interval '8 hours', 'released'
					FROM gate_evaluations g JOIN payouts p ON p.id = g.payout_id WHERE p.reference_id = $1`,
				`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
					SELECT 'api:t', 'payout.create', 'payout', id::text, jsonb_build_object('ref', $1::text, 'i', $3::int), $2
					FROM payouts WHERE reference_id = $1`,
				`INSERT INTO ledger_postings (payout_id, kind, posted_at)
					SELECT id, k, $2::timestamptz + interval '1 day' FROM payouts, unnest(ARRAY['succeeded', 'fee']) k WHERE reference_id = $1`,
				`INSERT INTO ledger_entries (posting_id, account, direction, amount_minor, currency)
					SELECT l.id, a.account, a.direction, p.amount_minor, 'INR'
					FROM ledger_postings l JOIN payouts p ON p.id = l.payout_id,
					(VALUES ('payouts_in_transit', 'debit'), ('bank:nxtbanking', 'credit')) a (account, direction)
					WHERE p.reference_id = $1`,
				`INSERT INTO job_runs (job, instance, trigger, tick, started_at, finished_at, examined, changed)
					VALUES ('stale-recheck', 'host-1 ' || $1::text, 'schedule', $2, $2, $2::timestamptz + interval '3 seconds', $3::int, 1)`,
			}
			for _, q := range stmts {
				args := []any{ref, at, i, benID}
				for !strings.Contains(q, fmt.Sprintf("$%d", len(args))) {
					args = args[:len(args)-1] // each statement takes the arguments it names
				}
				if _, err := s.DB().Exec(q, args...); err != nil {
					t.Fatalf("%s: %v\n%s", ref, err, q)
				}
			}
		}
	}
	// A manual run with no tick, and one that never finished.
	s.DB().MustExec(`INSERT INTO job_runs (job, instance, trigger, started_at) VALUES ('day-end', 'host-2', 'manual', now())`)
}

// TestPartitioningKeepsEveryRow builds a database at 00038 with a year and
// a half of history in every append-only table, migrates it up, and checks
// that every row and sum is where it was, in its month's partition, that
// the append-only tables still refuse UPDATE, DELETE and TRUNCATE (through
// the table and on a partition named directly), and that the writers still
// work on the partitioned tables.
func TestPartitioningKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	s := storeAt(t, 38)
	this := time.Now().UTC()
	this = time.Date(this.Year(), this.Month(), 1, 0, 0, 0, 0, time.UTC)
	var months []time.Time
	for i := 17; i >= 0; i-- {
		months = append(months, this.AddDate(0, -i, 0))
	}
	seedHistory(t, s, months, 3)
	before := fingerprints(t, s)
	if before["payout_events"].N != 54 || before["ledger_entries"].N != 216 {
		t.Fatalf("seeded %+v", before)
	}
	if _, err := migrations.Up(ctx, s.DB().DB); err != nil {
		t.Fatal(err)
	}
	after := fingerprints(t, s)
	for table, want := range before {
		if got := after[table]; got != want {
			t.Errorf("%s after the upgrade: %+v, want %+v", table, got, want)
		}
	}

	for table := range historyTables {
		var parts int
		var inDefault int64
		err := s.DB().QueryRow(`SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass`, table).Scan(&parts)
		if err != nil {
			t.Fatal(err)
		}
		if parts < len(months)+3 {
			t.Errorf("%s has %d partitions, want the %d months of history, the default and ahead", table, parts, len(months))
		}
		if err := s.DB().QueryRow(`SELECT count(*) FROM ` + table + `_default`).Scan(&inDefault); err != nil {
			t.Fatal(err)
		}
		if table != "job_runs" && inDefault != 0 {
			t.Errorf("%s_default holds %d rows, want each in its month", table, inDefault)
		}
	}
	var n int
	s.DB().Get(&n, `SELECT count(*) FROM audit_log_p`+months[0].Format("200601"))
	if n != 3 {
		t.Errorf("audit_log's oldest month holds %d rows, want 3", n)
	}
	// The ledger is in the month of its payout, every entry beside its posting.
	s.DB().Get(&n, `SELECT count(*) FROM ledger_entries e JOIN ledger_postings l
		ON l.id = e.posting_id AND l.payout_created_at = e.payout_created_at`)
	if n != 216 {
		t.Errorf("entries joined to their postings: %d, want 216", n)
	}

	appendOnly := []string{"audit_log", "payout_events", "gate_evaluations", "ledger_postings", "ledger_entries"}
	for _, table := range appendOnly {
		part := table + "_p" + months[3].Format("200601")
		for _, q := range []string{
			`UPDATE ` + table + ` SET id = id`, `DELETE FROM ` + table,
			`UPDATE ` + part + ` SET id = id`, `DELETE FROM ` + part,
		} {
			if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refusal", q, err)
			}
		}
	}
	// TRUNCATE is refused where it was before (audit_log), on every month.
	for _, q := range []string{`TRUNCATE audit_log`, `TRUNCATE audit_log_p` + months[3].Format("200601"),
		`TRUNCATE audit_log_default`, `TRUNCATE audit_log_p` + this.AddDate(0, 2, 0).Format("200601")} {
		{
			if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refusal", q, err)
			}
		}
	}
	if got := fingerprints(t, s); fmt.Sprint(got) != fmt.Sprint(after) {
		t.Errorf("after the refused changes: %+v, want %+v", got, after)
	}

	// The writers on the partitioned tables: new ids follow the old ones, the
	// ledger is still posted exactly once, one run per tick.
	var maxID int64
	s.DB().Get(&maxID, `SELECT max(id) FROM audit_log`)
	if err := s.Audit(ctx, "test", "user.login", "user", "1", nil); err != nil {
		t.Fatal(err)
	}
	s.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE id > $1`, maxID)
	if n != 1 {
		t.Errorf("new audit rows after %d: %d, want 1", maxID, n)
	}
	tick := this.Add(-time.Hour)
	l, err := s.BeginRun(ctx, "stale-recheck", "host-1", &tick)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(ctx, 1, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginRun(ctx, "stale-recheck", "host-2", &tick); err != store.ErrJobBusy {
		t.Errorf("a second run of the same tick: err = %v, want ErrJobBusy", err)
	}
	old := months[2].Add(90 * time.Minute)
	if _, err := s.BeginRun(ctx, "stale-recheck", "host-2", &old); err != store.ErrJobBusy {
		t.Errorf("a run of a tick migrated from 00038: err = %v, want ErrJobBusy", err)
	}
}

// storeAt returns a store on a new database migrated up to version, for
// an upgrade test to fill as that schema has it and then migrate.
func storeAt(t *testing.T, version int64) *store.Store {
	t.Helper()
	s, err := store.Open(pgtest.NewEmptyDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := migrations.UpTo(context.Background(), s.DB().DB, version); err != nil {
		t.Fatal(err)
	}
	return s
}
