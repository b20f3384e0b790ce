package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"payops/jobs"
	"payops/store"
	"payops/store/pgtest"
)

// Two instances on one database, one job every second: each tick runs
// once, on one of them.
func TestTwoSchedulersRunAJobOncePerTick(t *testing.T) {
	var runs atomic.Int64
	first, scheds := twoInstances(t, jobs.Job{Name: "tick", Schedule: "@every 1s", Run: func(ctx context.Context) (jobs.Outcome, error) {
		runs.Add(1)
		time.Sleep(50 * time.Millisecond)
		return jobs.Outcome{Examined: 1}, nil
	}})
	for _, s := range scheds {
		s.Start(context.Background())
	}
	time.Sleep(3500 * time.Millisecond)
	for _, s := range scheds {
		s.Stop()
	}
	var ticks, finished int
	first.DB().Get(&ticks, `SELECT count(DISTINCT tick) FROM job_runs WHERE job = 'tick'`)
	first.DB().Get(&finished, `SELECT count(*) FROM job_runs WHERE job = 'tick' AND finished_at IS NOT NULL AND examined = 1`)
	if ticks < 2 || int64(ticks) != runs.Load() || finished != ticks {
		t.Fatalf("%d ticks recorded, %d finished, %d runs: want one run per tick", ticks, finished, runs.Load())
	}
}

func TestRunNowRecordsAndRefusesWhileBusy(t *testing.T) {
	s := pgtest.New(t)
	release := make(chan struct{})
	started := make(chan struct{})
	sched := &jobs.Scheduler{Store: s, Instance: "x", Log: quiet}
	sched.Add(jobs.Job{Name: "slow", Schedule: "@every 1h", Run: func(ctx context.Context) (jobs.Outcome, error) {
		close(started)
		<-release
		return jobs.Outcome{Examined: 3, Changed: 1}, errors.New("provider down")
	}})
	sched.Add(jobs.Job{Name: "boom", Schedule: "@every 1h", Run: func(ctx context.Context) (jobs.Outcome, error) {
		panic("bad data")
	}})
	done := make(chan error)
	go func() { _, err := sched.RunNow(context.Background(), "slow"); done <- err }()
	<-started
	if _, err := sched.RunNow(context.Background(), "slow"); !errors.Is(err, store.ErrJobBusy) {
		t.Fatalf("second run while the first holds the lock: %v", err)
	}
	close(release)
	if err := <-done; err == nil {
		t.Fatal("the run's error was lost")
	}
	if _, err := sched.RunNow(context.Background(), "boom"); err == nil {
		t.Fatal("a panic was not reported")
	}
	runs, err := s.LatestRuns(context.Background())
	if err != nil || len(runs) != 2 {
		t.Fatalf("latest runs: %+v %v", runs, err)
	}
	for _, r := range runs {
		if r.FinishedAt == nil || r.Trigger != "manual" || r.Error == "" {
			t.Errorf("run %+v", r)
		}
		if r.Job == "slow" && (r.Examined != 3 || r.Changed != 1 || r.Error != "provider down") {
			t.Errorf("slow run %+v", r)
		}
	}
}

// An "@every" job started on two instances at different moments still runs
// once an interval: its ticks fall on multiples of the interval, the same on
// every instance (counted from each start, both would run each interval).
func TestEveryTicksAreTheSameOnEveryInstance(t *testing.T) {
	var runs atomic.Int64
	first, scheds := twoInstances(t, jobs.Job{Name: "every2", Schedule: "@every 2s", Run: func(ctx context.Context) (jobs.Outcome, error) {
		runs.Add(1)
		return jobs.Outcome{}, nil
	}})
	began := time.Now()
	scheds[0].Start(context.Background())
	time.Sleep(900 * time.Millisecond)
	scheds[1].Start(context.Background())
	time.Sleep(5 * time.Second)
	for _, s := range scheds {
		s.Stop()
	}
	// Ticks on even seconds within the 5.9 s: at most 3.
	window := time.Since(began)
	var ticks int
	first.DB().Get(&ticks, `SELECT count(DISTINCT tick) FROM job_runs WHERE job = 'every2'`)
	if max := int(window/(2*time.Second)) + 1; ticks > max || runs.Load() != int64(ticks) || ticks == 0 {
		t.Errorf("%d ticks and %d runs in %s of @every 2s on two instances, want at most %d, one run each", ticks,
			runs.Load(), window.Round(time.Millisecond), max)
	}
}

// twoInstances schedules job on two instances' schedulers on one database,
// not started, and returns the first's store.
func twoInstances(t *testing.T, job jobs.Job) (*store.Store, []*jobs.Scheduler) {
	t.Helper()
	dsn := pgtest.NewDSN(t)
	var first *store.Store
	var scheds []*jobs.Scheduler
	for _, name := range []string{"a", "b"} {
		s, err := store.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if first == nil {
			first = s
		}
		sched := &jobs.Scheduler{Store: s, Instance: name, Log: quiet}
		if err := sched.Add(job); err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sched)
	}
	return first, scheds
}

// A run started by hand (Run now) outlives its request but not the process:
// stopping the scheduler cancels it and waits for it to end.
func TestStopEndsAndWaitsForRunsByHand(t *testing.T) {
	s := pgtest.New(t)
	started, ended := make(chan struct{}), atomic.Bool{}
	sched := &jobs.Scheduler{Store: s, Instance: "a", Log: quiet}
	if err := sched.Add(jobs.Job{Name: "long", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
		close(started)
		<-ctx.Done() // until shutdown
		ended.Store(true)
		return jobs.Outcome{}, ctx.Err()
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sched.Start(ctx)
	go sched.RunNow(context.WithoutCancel(context.Background()), "long") // as the jobs page starts it
	<-started
	cancel()
	sched.Stop()
	if !ended.Load() {
		t.Error("Stop returned before the run by hand ended")
	}
}

// A scheduler stopped at once, as serve is when its port is taken, while
// the startup's runs by hand are being started: each either ran before
// Stop returned or was refused with ErrStopped, never added to the runs
// Stop waits for after it began waiting (the race detector's complaint).
func TestRunNowBesideStop(t *testing.T) {
	s := pgtest.New(t)
	var ran atomic.Int32
	sched := &jobs.Scheduler{Store: s, Instance: "a", Log: quiet}
	if err := sched.Add(jobs.Job{Name: "quick", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
		ran.Add(1)
		return jobs.Outcome{}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	sched.Start(context.Background())
	results := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := sched.RunNow(context.Background(), "quick")
			results <- err
		}()
	}
	sched.Stop()
	refused := 0
	for range 4 {
		err := <-results
		switch {
		case errors.Is(err, jobs.ErrStopped):
			refused++
		case err != nil && !errors.Is(err, store.ErrJobBusy):
			t.Errorf("RunNow beside Stop: %v", err)
		}
	}
	if _, err := sched.RunNow(context.Background(), "quick"); !errors.Is(err, jobs.ErrStopped) {
		t.Errorf("RunNow after Stop: %v, want ErrStopped", err)
	}
	if refused == 4 && ran.Load() != 0 {
		t.Errorf("%d runs though every RunNow was refused", ran.Load())
	}
}
