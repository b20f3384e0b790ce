package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// The demo has two compliance users, so four-eyes can be tried, and its
// times agree: no payout's gates are evaluated or hold placed before the
// payout was created, and no evidence comes before its hold.
func TestDemoTimesAgree(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"demo"}, env(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""), &out,
		&out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var compliance []string
	for _, u := range users {
		if u.Role == payout.RoleCompliance && u.DisabledAt == nil && u.HasPassword {
			compliance = append(compliance, u.Email)
		}
	}
	if len(compliance) != 2 {
		t.Errorf("compliance users who can sign in: %v, want two", compliance)
	}
	var holds, overdue int
	s.DB().Get(&holds, `SELECT count(*) FROM holds`)
	s.DB().Get(&overdue, `SELECT count(*) FROM holds WHERE sla_due_at < now()`)
	if holds < 6 || overdue < 1 {
		t.Fatalf("%d demo holds, %d overdue: want some of each", holds, overdue)
	}
	// The demo's reconciliation: reports made of the payouts each day sent,
	// the older day of NxtBanking tying and signed off, yesterday's with
	// four differences each (an amount, a status, one missing each side).
	var runs []struct {
		Provider string `db:"provider"`
		Ties     bool   `db:"ties"`
		Signed   bool   `db:"signed"`
		Diffs    int    `db:"diffs"`
	}
	if err := s.DB().Select(&runs, `SELECT provider, ties, signed_off_at IS NOT NULL AS signed,
			(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id) AS diffs
		FROM recon_runs r ORDER BY business_date, provider`); err != nil {
		t.Fatal(err)
	}
	var tiedSigned, fourDiffs int
	for _, r := range runs {
		if r.Ties && r.Signed && r.Diffs == 0 {
			tiedSigned++
		}
		if !r.Ties && r.Diffs == 4 {
			fourDiffs++
		}
	}
	if tiedSigned != 1 || fourDiffs == 0 {
		t.Errorf("demo reconciliation runs %+v: want one tied and signed off, and some with four differences", runs)
	}
	for _, c := range []struct{ what, query string }{
		{"holds placed before their payout was created", `SELECT count(*) FROM holds h JOIN payouts p ON p.id = h.payout_id
			WHERE h.placed_at < p.created_at`},
		{"evidence added before its hold was placed", `SELECT count(*) FROM hold_evidence e JOIN holds h ON h.id = e.hold_id
			WHERE e.added_at < h.placed_at`},
		{"gates evaluated before their payout was created", `SELECT count(*) FROM gate_evaluations g
			JOIN payouts p ON p.id = g.payout_id WHERE g.evaluated_at < p.created_at`},
		{"holds due before they were placed", `SELECT count(*) FROM holds WHERE sla_due_at <= placed_at`},
	} {
		var n int
		if err := s.DB().Get(&n, c.query); err != nil || n != 0 {
			t.Errorf("%d %s (%v)", n, c.what, err)
		}
	}
}

// The demo's markets: IN live by its document, PH read-only, so the demo's
// PH payout is held for market_read_only and owned by PH's blocked-payout
// owner.
func TestDemoMarkets(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"demo"}, env(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""), &out,
		&out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	live := map[string]bool{}
	docs, err := s.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range docs {
		live[m.Market] = m.Live
	}
	if !live["IN"] || live["PH"] {
		t.Errorf("demo markets live: %v, want IN live and PH read-only", live)
	}
	p, err := s.PayoutByRef(ctx, "DEMO-API-11", store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	holds, err := s.HoldsFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(holds) != 1 || holds[0].Reason != payout.ReasonMarket || holds[0].OwnerName != "Chitra Compliance" {
		t.Errorf("the demo's PH payout has holds %+v, want one market_read_only hold owned by Chitra Compliance", holds)
	}
	// Loading the demo again changes no document; IN's, which the test
	// database has already (as an upgrade would), is left as it is.
	if err := run(ctx, []string{"demo"}, env(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""), &out,
		&out); err != nil {
		t.Fatal(err)
	}
	for _, market := range []string{"IN", "PH"} {
		if h, err := s.MarketHistory(ctx, market, payout.DefaultProgram); err != nil || len(h) != 1 {
			t.Errorf("%s history after the demo twice: %d versions (%v), want 1", market, len(h), err)
		}
	}
}
