package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"payops/adapters"
	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// Slot is the drill provider inside serve, and exists only while a drill
// runs. As an http.Handler it is the address where the running drill's
// chaotic sandbox listens (503 between drills); as an adapters.Provider
// it is payops' client of that sandbox, with the drill's own random
// webhook secret, and switched off between drills, so that nobody can send
// a payout to it or a webhook from it then.
type Slot struct {
	cur atomic.Pointer[slotDrill]
}

type slotDrill struct {
	sandbox *sandbox.Server
	client  adapters.Provider
}

var (
	_ adapters.Switchable        = (*Slot)(nil)
	_ adapters.FailureClassifier = (*Slot)(nil)
)

func (s *Slot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := s.cur.Load()
	if d == nil {
		http.Error(w, "no drill is running", http.StatusServiceUnavailable)
		return
	}
	d.sandbox.ServeHTTP(w, r)
}

// Enabled reports whether a drill is running.
func (s *Slot) Enabled() bool { return s.cur.Load() != nil }

// client returns the running drill's client, or ErrNotConfigured.
func (s *Slot) client() (adapters.Provider, error) {
	d := s.cur.Load()
	if d == nil {
		return nil, fmt.Errorf("%w: %s (no drill is running)", adapters.ErrNotConfigured, payout.DrillProvider)
	}
	return d.client, nil
}

// Name is the drill provider's name.
func (s *Slot) Name() string { return payout.DrillProvider }

// Submit sends a payout to the running drill's sandbox.
func (s *Slot) Submit(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	c, err := s.client()
	if err != nil {
		return payout.Observation{}, err
	}
	return c.Submit(ctx, p)
}

// Status asks the running drill's sandbox about a payout.
func (s *Slot) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	c, err := s.client()
	if err != nil {
		return payout.Observation{}, err
	}
	return c.Status(ctx, p)
}

// List is never called: drill payouts are not reconciled.
func (s *Slot) List(ctx context.Context, from, to time.Time) ([]adapters.Record, error) {
	return nil, adapters.ErrListUnsupported
}

// Webhook verifies a delivery with the running drill's secret.
func (s *Slot) Webhook(h http.Header, body []byte) (adapters.Event, error) {
	c, err := s.client()
	if err != nil {
		return adapters.Event{}, adapters.ErrSignature
	}
	return c.Webhook(h, body)
}

// ClassifyFailure classifies a drill payout's failure code as its
// provider's: a drill's provider is always a sandbox. It answers between
// drills too, when a drill's failed payouts are still looked at.
func (s *Slot) ClassifyFailure(code string) payout.FailureClass {
	return sandbox.ClassifyFailure(code)
}

// RunStore is what the dashboard's drills need of the store.
type RunStore interface {
	StartDrillRun(ctx context.Context, n store.NewDrillRun, by store.Actor) (store.DrillRun, error)
	DrillProgress(ctx context.Context, id int64, step store.DrillStep) error
	FinishDrillRun(ctx context.Context, id int64, state string, report any, errText string) error
	CreateToken(ctx context.Context, spec store.TokenSpec, token string) (store.APIToken, error)
	RevokeToken(ctx context.Context, name, by string) (store.APIToken, error)
	ForgedAccepted(ctx context.Context, provider string, since time.Time) (int, error)
	CaseCountsByRef(ctx context.Context, kind payout.CaseKind, refs []string) (map[string]int, error)
}

// MaxPayouts is the most payouts one drill from the dashboard sends.
const MaxPayouts = 2000

// TokenRate is the request rate of a drill's own token: a drill reads every
// one of its payouts every two seconds while it converges.
const TokenRate = 5000

// Runner runs drills started from the dashboard or the drills API inside
// payops serve: a chaotic sandbox in the Slot with a webhook secret made
// for the drill, payouts through payops' own intake API under a test token
// made for the drill and revoked after, progress and report in the store.
// One drill at a time (the store refuses a second).
type Runner struct {
	Store     RunStore
	Slot      *Slot
	PayopsURL string // this payops, as the drill reaches its API
	// Instance names this payops among several (its host and address):
	// recorded with the drill, so this payops restarting marks its own
	// drill interrupted and leaves another instance's alone.
	Instance string
	// NewSandbox makes the drill's sandbox, signing its webhooks with
	// secret; NewClient makes payops' client of it, verifying them with it.
	NewSandbox func(chaos *sandbox.Chaos, secret string) *sandbox.Server
	NewClient  func(secret string) adapters.Provider
	Wait       time.Duration // for convergence; 10 minutes when zero
	// Unavailable, when set, says why this payops cannot run drills (no
	// jobs here to send and re-check the payouts); Start refuses with it.
	Unavailable string
	// Recheck runs the stale re-check now; called every 15 s while a drill
	// runs, so a drill need not wait for the job's schedule. Optional.
	Recheck func(ctx context.Context)
	// ScanExceptions runs the exceptions scan now; called when a drill has
	// converged, so the failure cases it checks are open. Without it a
	// drill does not check them.
	ScanExceptions func(ctx context.Context) error
	Log            *slog.Logger
	// Ctx bounds every drill: serve's, so a drill stops with payops.
	Ctx context.Context

	wg sync.WaitGroup
}

// Check says what is wrong with a drill request, in words for the person
// who made it, or nil. An empty market is the default, IN.
func Check(n store.NewDrillRun) error {
	if _, ok := Scenarios[n.Scenario]; !ok {
		return errors.New("Choose one of the scenarios.")
	}
	if err := CheckMarket(n.Market); err != nil {
		return err
	}
	if n.Payouts < 1 || n.Payouts > MaxPayouts {
		return fmt.Errorf("Payouts must be a whole number from 1 to %d.", MaxPayouts)
	}
	return nil
}

// DefaultMarket is the market a drill runs against when none is given.
const DefaultMarket = "IN"

// CheckMarket says what is wrong with a drill's market, or nil; empty is
// DefaultMarket.
func CheckMarket(market string) error {
	if market != "" && !payout.IsCountry(market) {
		return errors.New("The market must be an ISO 3166 country code such as IN or PH.")
	}
	return nil
}

// Start records a drill and runs it in the background; it returns the
// drill's record at once. A request Check refuses, or a payops that
// cannot run drills, is a store.Refused error.
// Wait bounds how long it waits to converge: the Runner's own when zero.
func (r *Runner) Start(ctx context.Context, n store.NewDrillRun, wait time.Duration, by store.Actor) (store.DrillRun,
	error) {
	if err := Check(n); err != nil {
		return store.DrillRun{}, store.Refused("%s", err.Error())
	}
	if r.Unavailable != "" {
		return store.DrillRun{}, store.Refused("%s", r.Unavailable)
	}
	if n.Market == "" {
		n.Market = DefaultMarket
	}
	chaos := Scenarios[n.Scenario]
	n.Instance = r.Instance
	run, err := r.Store.StartDrillRun(ctx, n, by)
	if err != nil {
		return run, err
	}
	if wait <= 0 {
		wait = r.wait()
	}
	r.wg.Go(func() { r.run(run, chaos, wait) })
	return run, nil
}

// WaitIdle waits for the drills running to finish.
func (r *Runner) WaitIdle() { r.wg.Wait() }

func (r *Runner) run(run store.DrillRun, chaos sandbox.Chaos, wait time.Duration) {
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

	// The drill provider exists from here to the end of the drill, with a
	// webhook secret nobody else knows.
	webhookSecret, err := store.NewToken()
	if err != nil {
		errText = "could not make the drill's webhook secret: " + err.Error()
		return
	}
	sb := r.NewSandbox(&chaos, webhookSecret)
	mine := &slotDrill{sandbox: sb, client: r.NewClient(webhookSecret)}
	r.Slot.cur.Store(mine)
	defer r.Slot.cur.CompareAndSwap(mine, nil) // not a later drill's, should one have taken the slot
	secret, revoke, err := r.token(ctx, run, log)
	if err != nil {
		errText = "could not make the drill's API token: " + err.Error()
		return
	}
	defer revoke()

	nextRecheck, stop := r.nudge(ctx)
	defer stop()
	since := time.Now()
	rep, err := Run(ctx, Config{Scenario: run.Scenario, Market: run.Market, PayopsURL: r.PayopsURL, Token: secret,
		Sandbox: sb, Payouts: run.Payouts, Prefix: fmt.Sprintf("DRILL%d", run.ID), Wait: wait,
		ForgedAccepted: func(ctx context.Context) (int, error) {
			return r.Store.ForgedAccepted(ctx, payout.DrillProvider, since)
		},
		AmountCases: func(ctx context.Context, refs []string) (map[string]int, error) {
			return r.Store.CaseCountsByRef(ctx, payout.CaseAmountMismatch, refs)
		},
		ScanExceptions: r.ScanExceptions, Cases: r.Store.CaseCountsByRef,
		Progress: r.recorder(ctx, run.ID, nextRecheck, log)})
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

// token makes the drill's own test token; revoke ends it.
func (r *Runner) token(ctx context.Context, run store.DrillRun, log *slog.Logger) (secret string, revoke func(),
	err error) {
	name := store.DrillTokenName(run.ID)
	if secret, err = store.NewToken(); err != nil {
		return "", nil, err
	}
	_, err = r.Store.CreateToken(ctx, store.TokenSpec{Name: name, Scope: payout.ScopeTest, RatePerSecond: TokenRate,
		By: run.StartedBy}, secret)
	if err != nil {
		return "", nil, err
	}
	return secret, func() {
		if _, err := r.Store.RevokeToken(context.WithoutCancel(ctx), name, run.StartedBy); err != nil {
			log.Error("drill token not revoked", "token", name, "err", err)
		}
	}, nil
}

// recheckEvery is how often a drill runs the stale re-check itself.
const recheckEvery = 15 * time.Second

// nudge runs the stale re-check every recheckEvery while the drill runs,
// when the Runner has one; next says when it runs next (nil without one).
func (r *Runner) nudge(ctx context.Context) (next func() *time.Time, stop func()) {
	if r.Recheck == nil {
		return func() *time.Time { return nil }, func() {}
	}
	var due atomic.Pointer[time.Time]
	first := time.Now().Add(recheckEvery)
	due.Store(&first)
	nudge, cancel := context.WithCancel(ctx)
	t := time.NewTicker(recheckEvery)
	go func() {
		for {
			select {
			case <-nudge.Done():
				t.Stop()
				return
			case at := <-t.C:
				then := at.Add(recheckEvery)
				due.Store(&then)
				r.Recheck(nudge)
			}
		}
	}()
	return due.Load, cancel
}

// recorder records a drill's progress: what it waits for while it
// converges and when the re-check runs next, two writes a second at most
// besides a phase's first and last.
func (r *Runner) recorder(ctx context.Context, id int64, nextRecheck func() *time.Time,
	log *slog.Logger) func(Progress) {
	var (
		mu        sync.Mutex
		lastAt    time.Time
		lastPhase string
	)
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done != p.Total && p.Phase == lastPhase && time.Since(lastAt) < 500*time.Millisecond {
			return
		}
		lastAt, lastPhase = time.Now(), p.Phase
		step := store.DrillStep{Phase: p.Phase, Done: p.Done, Total: p.Total, NextRecheck: nextRecheck()}
		if p.Waiting != nil {
			step.Waiting = p.Waiting
		}
		if err := r.Store.DrillProgress(ctx, id, step); err != nil {
			log.Warn("drill progress not recorded", "err", err)
		}
	}
}

func (r *Runner) wait() time.Duration {
	if r.Wait > 0 {
		return r.Wait
	}
	return 10 * time.Minute
}
