package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// Slot is the drill provider as payops reaches it from inside serve: one
// address whose handler is the running drill's chaotic sandbox, and which
// answers 503 between drills.
type Slot struct {
	cur atomic.Pointer[sandbox.Server]
}

func (s *Slot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sb := s.cur.Load()
	if sb == nil {
		http.Error(w, "no drill is running", http.StatusServiceUnavailable)
		return
	}
	sb.ServeHTTP(w, r)
}

// RunStore is what the dashboard's drills need of the store.
type RunStore interface {
	StartDrillRun(ctx context.Context, scenario string, payouts int, by store.Actor) (store.DrillRun, error)
	DrillProgress(ctx context.Context, id int64, done, total int, phase string) error
	FinishDrillRun(ctx context.Context, id int64, state string, report any, errText string) error
	CreateToken(ctx context.Context, name, token string) (store.APIToken, error)
	RevokeToken(ctx context.Context, name string) (store.APIToken, error)
	ForgedAccepted(ctx context.Context, provider string, since time.Time) (int, error)
}

// MaxPayouts is the most payouts one drill from the dashboard sends.
const MaxPayouts = 2000

// Runner runs drills started from the dashboard inside payops serve: a
// chaotic sandbox in the Slot, payouts through payops' own intake API under
// a token made for the drill and revoked after, progress and report in the
// store. One drill at a time (the store refuses a second).
type Runner struct {
	Store      RunStore
	Slot       *Slot
	PayopsURL  string // this payops, as the drill reaches its API
	NewSandbox func(chaos *sandbox.Chaos) *sandbox.Server
	Wait       time.Duration // for convergence; 10 minutes when zero
	// Recheck runs the stale re-check now; called every 15 s while a drill
	// runs, so a drill need not wait for the job's schedule. Optional.
	Recheck func(ctx context.Context)
	Log     *slog.Logger
	// Ctx bounds every drill: serve's, so a drill stops with payops.
	Ctx context.Context

	wg sync.WaitGroup
}

// Check says what is wrong with a drill request, in words for the person
// who made it, or nil.
func Check(scenario string, payouts int) error {
	if _, ok := Scenarios[scenario]; !ok {
		return errors.New("Choose one of the scenarios.")
	}
	if payouts < 1 || payouts > MaxPayouts {
		return fmt.Errorf("Payouts must be a whole number from 1 to %d.", MaxPayouts)
	}
	return nil
}

// Start records a drill and runs it in the background; it returns the
// drill's record at once. A request Check refuses is a store.Refused error.
func (r *Runner) Start(ctx context.Context, scenario string, payouts int, by store.Actor) (store.DrillRun, error) {
	if err := Check(scenario, payouts); err != nil {
		return store.DrillRun{}, store.Refused("%s", err.Error())
	}
	chaos := Scenarios[scenario]
	run, err := r.Store.StartDrillRun(ctx, scenario, payouts, by)
	if err != nil {
		return run, err
	}
	r.wg.Go(func() { r.run(run, chaos) })
	return run, nil
}

// WaitIdle waits for the drills running to finish.
func (r *Runner) WaitIdle() { r.wg.Wait() }

func (r *Runner) run(run store.DrillRun, chaos sandbox.Chaos) {
	ctx := r.Ctx
	log := r.Log.With("drill", run.ID, "scenario", run.Scenario)
	state, report, errText := store.DrillFailed, any(nil), ""
	defer func() {
		// Recorded even when serve is stopping.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.Store.FinishDrillRun(fctx, run.ID, state, report, errText); err != nil {
			log.Error("drill not recorded", "err", err)
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			log.Error("drill panicked", "panic", p)
			errText = fmt.Sprint("the drill stopped: ", p)
		}
	}()

	sb := r.NewSandbox(&chaos)
	r.Slot.cur.Store(sb)
	defer r.Slot.cur.Store(nil)
	name := "drill-run-" + strconv.FormatInt(run.ID, 10)
	secret, err := store.NewToken()
	if err == nil {
		_, err = r.Store.CreateToken(ctx, name, secret)
	}
	if err != nil {
		errText = "could not make the drill's API token: " + err.Error()
		return
	}
	defer func() {
		if _, err := r.Store.RevokeToken(context.WithoutCancel(ctx), name); err != nil {
			log.Error("drill token not revoked", "token", name, "err", err)
		}
	}()

	if r.Recheck != nil {
		nudge, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			for t := time.NewTicker(15 * time.Second); ; {
				select {
				case <-nudge.Done():
					t.Stop()
					return
				case <-t.C:
					r.Recheck(nudge)
				}
			}
		}()
	}
	var (
		mu        sync.Mutex
		lastAt    time.Time
		lastPhase string
	)
	since := time.Now()
	rep, err := Run(ctx, Config{Scenario: run.Scenario, PayopsURL: r.PayopsURL, Token: secret, Sandbox: sb,
		Payouts: run.Payouts, Prefix: fmt.Sprintf("DRILL%d", run.ID), Wait: r.wait(),
		ForgedAccepted: func(ctx context.Context) (int, error) {
			return r.Store.ForgedAccepted(ctx, payout.DrillProvider, since)
		},
		Progress: func(done, total int, phase string) {
			// Two writes a second at most, besides a phase's first and last.
			mu.Lock()
			defer mu.Unlock()
			if done != total && phase == lastPhase && time.Since(lastAt) < 500*time.Millisecond {
				return
			}
			lastAt, lastPhase = time.Now(), phase
			if err := r.Store.DrillProgress(ctx, run.ID, done, total, phase); err != nil {
				log.Warn("drill progress not recorded", "err", err)
			}
		}})
	switch {
	case errors.Is(err, context.Canceled):
		state, errText = store.DrillInterrupted, "payops stopped while the drill ran"
	case err != nil:
		errText = err.Error()
	default:
		report = rep
		if rep.OK() {
			state = store.DrillPassed
		}
	}
	log.Info("drill finished", "state", state)
}

func (r *Runner) wait() time.Duration {
	if r.Wait > 0 {
		return r.Wait
	}
	return 10 * time.Minute
}
