package store_test

import (
	"context"
	"errors"
	"testing"

	"payops/store"
	"payops/store/pgtest"
)

// The jobs page's runs: each job's latest 20, newest first, and only a run
// whose job's lock is held counts as running.
func TestRecentRuns(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for i := range 25 {
		l, err := s.BeginRun(ctx, "busy-job", "host-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		var runErr error
		if i == 24 {
			runErr = errors.New("provider down")
		}
		if err := l.Finish(ctx, i, i%2, runErr); err != nil {
			t.Fatal(err)
		}
	}
	// An instance that died mid-run: its run never finished, its lock went
	// with its connection.
	s.DB().MustExec(`INSERT INTO job_runs (job, instance, trigger) VALUES ('dead-job', 'host-2', 'manual')`)
	held, err := s.BeginRun(ctx, "live-job", "host-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Finish(ctx, 0, 0, nil)

	runs, err := s.RecentRuns(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	byJob := map[string][]store.JobRun{}
	for _, r := range runs {
		byJob[r.Job] = append(byJob[r.Job], r)
	}
	busy := byJob["busy-job"]
	if len(busy) != 20 || len(runs) != 22 {
		t.Fatalf("%d runs of busy-job, %d in all; want 20 and 22", len(busy), len(runs))
	}
	for i, r := range busy {
		if want := 24 - i; r.Examined != want || r.Changed != want%2 || r.Running || r.FinishedAt == nil {
			t.Errorf("busy-job run %d: examined %d changed %d running %v, want the run that examined %d", i, r.Examined,
				r.Changed, r.Running, want)
		}
	}
	if busy[0].Error != "provider down" || busy[1].Error != "" {
		t.Errorf("errors %q, %q", busy[0].Error, busy[1].Error)
	}
	if d := byJob["dead-job"]; len(d) != 1 || d[0].Running || d[0].FinishedAt != nil {
		t.Errorf("a run whose instance died: %+v", d)
	}
	if l := byJob["live-job"]; len(l) != 1 || !l[0].Running {
		t.Errorf("a run holding its lock: %+v", l)
	}
	one, err := s.RunsOf(ctx, "live-job", 20)
	if err != nil || len(one) != 1 || !one[0].Running {
		t.Errorf("RunsOf a running job: %+v %v", one, err)
	}
}

// A run left unfinished and then followed by a newer one is not running,
// even while the newer one holds the lock.
func TestRecentRunsOlderUnfinishedIsNotRunning(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	s.DB().MustExec(`INSERT INTO job_runs (job, instance, trigger) VALUES ('j', 'gone', 'manual')`)
	l, err := s.BeginRun(ctx, "j", "host-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Finish(ctx, 0, 0, nil)
	runs, err := s.RecentRuns(ctx, 20)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %+v %v", runs, err)
	}
	if !runs[0].Running || runs[1].Running || runs[1].Instance != "gone" {
		t.Errorf("running: newest %v, older %v (%s)", runs[0].Running, runs[1].Running, runs[1].Instance)
	}
}
