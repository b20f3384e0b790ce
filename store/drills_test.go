package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

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
