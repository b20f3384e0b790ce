package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"payops/store"
)

// Outcome is what one run of a job looked at and changed.
type Outcome struct {
	Examined int
	Changed  int
}

// Job is a piece of periodic work.
type Job struct {
	Name     string
	Schedule string // robfig/cron: "@every 15m", "30 0 * * *"
	Run      func(ctx context.Context) (Outcome, error)
}

// RunStore records job runs and holds their locks.
type RunStore interface {
	BeginRun(ctx context.Context, job, instance string, tick *time.Time) (*store.JobLock, error)
}

// Scheduler runs jobs on cron schedules. Each run takes the job's
// PostgreSQL advisory lock and records itself with its tick, so with several
// instances on one database a job runs once per tick; within an instance a
// run still going skips the next tick, and a panic is recovered and
// recorded as the run's error.
type Scheduler struct {
	Store    RunStore
	Instance string // names this process in job runs: host and pid
	Log      *slog.Logger
	Location *time.Location // for schedules; UTC when nil

	mu     sync.Mutex
	cron   *cron.Cron
	jobs   map[string]scheduled
	ctx    context.Context // scheduled runs' context, from Start
	byHand sync.WaitGroup  // runs started by RunNow, which Stop waits for too
	// stopped is set by Stop, under mu: a RunNow after it starts nothing,
	// and one before it has added itself to byHand (an Add racing Stop's
	// Wait is a misuse of the WaitGroup, which the race detector caught
	// when serve stopped at once, its port taken, as the startup runs began).
	stopped bool
}

// ErrStopped is RunNow's answer once the scheduler is stopped.
var ErrStopped = errors.New("jobs: the scheduler is stopped")

type scheduled struct {
	job Job
	id  cron.EntryID
}

// Add schedules job; call before Start.
func (s *Scheduler) Add(job Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cron == nil {
		loc := s.Location
		if loc == nil {
			loc = time.UTC
		}
		s.cron = cron.New(cron.WithLocation(loc), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
		s.jobs = map[string]scheduled{}
	}
	sched, err := cron.ParseStandard(job.Schedule)
	if err != nil {
		return fmt.Errorf("job %s: schedule %q: %w", job.Name, job.Schedule, err)
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		sched = alignedEvery(every)
	}
	var id cron.EntryID
	id = s.cron.Schedule(sched, cron.FuncJob(func() {
		tick := s.cron.Entry(id).Prev.UTC().Truncate(time.Second)
		if _, err := s.run(s.ctx, job, &tick); err != nil && !errors.Is(err, store.ErrJobBusy) {
			s.Log.Warn("job failed", "job", job.Name, "err", err)
		}
	}))
	s.jobs[job.Name] = scheduled{job: job, id: id}
	return nil
}

// Start starts the schedule; scheduled runs get ctx, so cancelling it ends
// them early.
func (s *Scheduler) Start(ctx context.Context) {
	s.ctx = ctx
	s.cron.Start()
}

// Stop stops the schedule and waits for runs in progress, those started by
// RunNow included (Start's context, cancelled, ends them early).
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	s.byHand.Wait()
}

// RunNow runs job name at once, outside its schedule; store.ErrJobBusy
// when it is running somewhere.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Outcome, error) {
	s.mu.Lock()
	sj, ok := s.jobs[name]
	stopped := s.stopped
	if ok && !stopped {
		s.byHand.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		return Outcome{}, fmt.Errorf("%w: job %s", store.ErrNotFound, name)
	}
	if stopped {
		return Outcome{}, ErrStopped
	}
	defer s.byHand.Done()
	if s.ctx != nil {
		// A run outlives the request that asked for it, not the process:
		// shutting down cancels it as it does scheduled runs.
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		defer context.AfterFunc(s.ctx, stop)()
	}
	return s.run(ctx, sj.job, nil)
}

// JobInfo is a scheduled job as the jobs page shows it.
type JobInfo struct {
	Name     string
	Schedule string
	Next     time.Time
}

// Jobs lists the scheduled jobs with their next run.
func (s *Scheduler) Jobs() []JobInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JobInfo
	for _, sj := range s.jobs {
		out = append(out, JobInfo{Name: sj.job.Name, Schedule: sj.job.Schedule, Next: s.cron.Entry(sj.id).Next})
	}
	return out
}

func (s *Scheduler) run(ctx context.Context, job Job, tick *time.Time) (out Outcome, err error) {
	lock, err := s.Store.BeginRun(ctx, job.Name, s.Instance, tick)
	if err != nil {
		return Outcome{}, err
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job %s panicked: %v", job.Name, v)
			s.Log.Error("job panicked", "job", job.Name, "panic", v)
		}
		// Not the run's context (a run cancelled at shutdown is still
		// recorded), but bounded: a database cut off must not hold this
		// goroutine, and the job with it, for the TCP timeout.
		fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ferr := lock.Finish(fctx, out.Examined, out.Changed, err); ferr != nil {
			s.Log.Warn("job run not recorded", "job", job.Name, "err", ferr)
		}
	}()
	return job.Run(ctx)
}

// Intervals returns each scheduled job's interval: the time between its
// next two scheduled runs (for "@every 5s", 5 s; for "@daily", a day).
func (s *Scheduler) Intervals() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Duration, len(s.jobs))
	now := time.Now()
	for name, sj := range s.jobs {
		sched := s.cron.Entry(sj.id).Schedule
		next := sched.Next(now)
		out[name] = sched.Next(next).Sub(next)
	}
	return out
}

// alignedEvery is an "@every" schedule whose ticks fall on multiples of its
// interval in absolute time (15:00, 15:15, ... for 15m), not counted from
// each process's start as robfig's ConstantDelaySchedule counts them: every
// instance then names the same tick, and the tick's run record lets one of
// them run it (with the counted kind, N instances ran each job N times).
type alignedEvery cron.ConstantDelaySchedule

// Next is the first multiple of the interval after t.
func (e alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(e.Delay).Add(e.Delay)
}
