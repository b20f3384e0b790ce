package store_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// A converging drill's progress keeps what it waits for and when the
// re-check runs next, for its page.
func TestDrillProgressKeepsWhatItWaitsFor(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	run, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "lost-webhooks", Payouts: 40}, store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DrillProgress(ctx, run.ID, store.DrillStep{Phase: "creating", Done: 12, Total: 40}); err != nil {
		t.Fatal(err)
	}
	got, err := s.DrillRunByID(ctx, run.ID)
	if err != nil || got.Phase != "creating" || got.Done != 12 || got.Waiting != nil || got.NextRecheckAt != nil {
		t.Fatalf("creating: %+v %v", got, err)
	}
	next := time.Now().Add(9 * time.Second).Truncate(time.Microsecond)
	waiting := map[string]int{"not_sent": 2, "unheard": 5}
	step := store.DrillStep{Phase: "converging", Done: 33, Total: 40, Waiting: waiting, NextRecheck: &next}
	if err := s.DrillProgress(ctx, run.ID, step); err != nil {
		t.Fatal(err)
	}
	got, err = s.DrillRunByID(ctx, run.ID)
	if err != nil || got.Phase != "converging" || got.Done != 33 || got.Total != 40 {
		t.Fatalf("converging: %+v %v", got, err)
	}
	var back map[string]int
	if err := json.Unmarshal(got.Waiting, &back); err != nil || back["not_sent"] != 2 || back["unheard"] != 5 {
		t.Errorf("waiting %s (%v)", got.Waiting, err)
	}
	if got.NextRecheckAt == nil || !got.NextRecheckAt.Equal(next) {
		t.Errorf("next re-check %v, want %v", got.NextRecheckAt, next)
	}
}

// A payops starting marks interrupted the drill it was running itself, and
// one whose runner has been silent for DrillSilence, revoking its token;
// another instance's drill, still recording progress, runs on. A new drill
// may start once the stale one is interrupted.
func TestStartingPayopsInterruptsOnlyItsOwnOrSilentDrills(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	by := store.Actor{Name: "admin@example.com"}
	start := func(instance string) store.DrillRun {
		t.Helper()
		run, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 5, Instance: instance}, by)
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	state := func(id int64) string {
		t.Helper()
		var st string
		if err := s.DB().Get(&st, `SELECT state FROM drill_runs WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := start("host-a/127.0.0.1:8080")
	if n, err := s.InterruptDrillRuns(ctx, "host-b/127.0.0.1:8080"); err != nil || n != 0 || state(a.ID) != "running" {
		t.Fatalf("another instance starting: %d interrupted (%v), drill %s; want it left running", n, err, state(a.ID))
	}
	if n, err := s.InterruptDrillRuns(ctx, "host-a/127.0.0.1:8080"); err != nil || n != 1 || state(a.ID) != "interrupted" {
		t.Fatalf("its own instance starting: %d interrupted (%v), drill %s", n, err, state(a.ID))
	}

	b := start("host-b/127.0.0.1:8080")
	if _, err := s.CreateToken(ctx, store.TokenSpec{Name: store.DrillTokenName(b.ID), Scope: payout.ScopeTest, By: by.Name},
		"pot_drilltoken_"+strconv.FormatInt(b.ID, 10)); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`UPDATE drill_runs SET progress_at = now() - interval '3 minutes' WHERE id = $1`, b.ID)
	// b's runner is silent: a new drill may start, and b is interrupted.
	c := start("host-a/127.0.0.1:8080")
	if state(b.ID) != "interrupted" || state(c.ID) != "running" {
		t.Fatalf("after a silent drill: b %s, c %s", state(b.ID), state(c.ID))
	}
	var active int
	if err := s.DB().Get(&active, `SELECT count(*) FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`,
		store.DrillTokenName(b.ID)); err != nil || active != 0 {
		t.Errorf("the interrupted drill's token is still active (%d, %v)", active, err)
	}
}
