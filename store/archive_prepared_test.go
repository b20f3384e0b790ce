package store_test

import (
	"context"
	"testing"
	"time"

	"payops/payout"
	"payops/store/pgtest"
)

// A payout's history is read through prepared statements whose generic
// plans name every month of its tables; archiving a month (detached, then
// dropped) must not leave a connection's kept plan pointing at it. The pool
// is one connection, so the reads after the archive run on the session
// that kept the plans.
func TestPreparedHistoryReadsOutliveAnArchivedMonth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := pgtest.New(t)
	s.DB().SetMaxOpenConns(1)
	march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tables := []string{"payout_events", "webhook_deliveries", "audit_log"}
	for _, table := range tables {
		if _, err := s.DB().Exec(`SELECT payops_make_partitions($1::regclass, $2, $2)`, table, march); err != nil {
			t.Fatal(err)
		}
	}
	p := newPayout(t, s, "PREP-1", payout.Succeeded)
	at := march.Add(36 * time.Hour)
	s.DB().MustExec(`INSERT INTO payout_events (payout_id, source, decision, detail, recorded_at)
		VALUES ($1, 'system', 'applied', 'in March', $2), ($1, 'system', 'applied', 'today', now())`, p.ID, at)
	s.DB().MustExec(`INSERT INTO webhook_deliveries (provider, received_at, headers, body, payload, verified, event_id,
			outcome, payout_id)
		VALUES ('sandbox', $2, '{}', '\x7b7d', '{}', true, 'ev-march', 'applied', $1),
			('sandbox', now(), '{}', '\x7b7d', '{}', true, 'ev-today', 'applied', $1)`, p.ID, at)
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details, at)
		VALUES ('api:t', 'payout.note', 'payout', $1, '{}', $2)`, p.ReferenceID, at)

	type counts struct{ events, deliveries, audit, march int }
	april := march.AddDate(0, 1, 0)
	read := func() counts {
		t.Helper()
		events, err := s.EventsFor(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		deliveries, err := s.DeliveriesFor(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := s.PayoutAudit(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		c := counts{events: len(events), deliveries: len(deliveries), audit: len(audit)}
		var times []time.Time
		for _, e := range events {
			times = append(times, e.RecordedAt)
		}
		for _, d := range deliveries {
			times = append(times, d.ReceivedAt)
		}
		for _, a := range audit {
			times = append(times, a.At)
		}
		for _, at := range times {
			if at.Before(april) {
				c.march++
			}
		}
		return c
	}
	// Prepared in the background on first use, then kept: a generic plan
	// once PostgreSQL has run it five times.
	var before counts
	for range 20 {
		before = read()
		time.Sleep(5 * time.Millisecond)
	}
	if before.march != 3 || before.deliveries != 2 {
		t.Fatalf("before archiving: %+v, want March's event, delivery and audit entry among them", before)
	}
	// Each read's statement, as pg_prepared_statements shows it.
	reads := map[string]string{
		"events":     `%FROM payout_events WHERE payout_id = $1 ORDER BY id%`,
		"deliveries": `%FROM webhook_deliveries d LEFT JOIN payouts p ON p.id = d.payout_id%WHERE d.payout_id = $1 ORDER BY d.id%`,
		"audit":      `%FROM audit_log WHERE entity_type = 'payout' AND (%`,
	}
	runs := func(like string) (generic, all int) {
		t.Helper()
		if err := s.DB().QueryRow(`SELECT coalesce(sum(generic_plans), 0), coalesce(sum(generic_plans + custom_plans), 0)
			FROM pg_prepared_statements WHERE statement LIKE $1`, like).Scan(&generic, &all); err != nil {
			t.Fatal(err)
		}
		return generic, all
	}
	ran := map[string]int{}
	for name, like := range reads {
		generic, all := runs(like)
		if generic == 0 {
			t.Fatalf("a payout's %s: %d runs prepared, none with a generic plan", name, all)
		}
		ran[name] = all
	}

	for _, table := range tables {
		parts, err := s.Partitions(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		if !parts[0].Month.Equal(march) {
			t.Fatalf("%s's oldest month: %+v", table, parts[0])
		}
		if _, err := s.ArchivePartition(ctx, parts[0], t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	after := read()
	want := counts{events: before.events - 1, deliveries: 1, audit: before.audit - 1}
	if after != want {
		t.Errorf("after archiving March: %+v, want %+v (today's history, none of March's)", after, want)
	}
	for name, like := range reads {
		if _, again := runs(like); again <= ran[name] {
			t.Errorf("the prepared statement of a payout's %s ran %d times before archiving and %d after: "+
				"the read after did not use it", name, ran[name], again)
		}
	}
}
