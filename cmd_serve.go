package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/drill"
	"payops/jobs"
	"payops/payout"
	"payops/static"
	"payops/store"
	"payops/web"
)

// config is payops' configuration, all from the environment; README lists it.
type config struct {
	DatabaseURL   string
	Addr          string
	SessionKey    []byte
	SessionIdle   time.Duration // a dashboard session ends after this long without a request
	StuckAfter    time.Duration
	SecureCookies bool
	Sandbox       sandboxConfig
	Policy        payout.Policy
	MaxAttempts   int // submission attempts before a manual-review hold
	Jobs          bool
	RecheckEvery  string        // cron schedule of the stale re-check
	RecheckAfter  time.Duration // how long without change makes a payout stale
	SettledWindow time.Duration // how long succeeded payouts are still re-checked (late reversals)
	RecheckRate   int           // re-check calls a second per provider
	RecheckLanes  int           // re-check calls in flight per provider
	RetryAfter    time.Duration // first wait before a failed submission is tried again
	SubmitWorkers int           // submissions in flight at once
	DayEndEvery   string        // cron schedule of day-end reconciliation, in BusinessTZ
	BusinessTZ    *time.Location
	APIRate       int // requests a second per API token (burst twice that)
	// WebhookTolerance is how far a webhook's own send time may be from its
	// arrival, either way.
	WebhookTolerance time.Duration
}

// sandboxConfig is the test providers': the sandbox and the drill
// provider. Their webhook secrets have no default: a test provider payops
// runs itself gets a random one each start, and one that runs elsewhere
// must be given the secret it signs with.
type sandboxConfig struct {
	BaseURL            string // where payops reaches the sandbox provider; "" disables it
	DrillURL           string // where payops reaches the drill provider; "" runs it inside serve, during drills
	APIKey             string
	APISecret          string
	WebhookSecret      string // the sandbox's
	DrillWebhookSecret string // the drill provider's at DrillURL
	Seed               int64
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        or(getenv("PAYOPS_ADDR"), "127.0.0.1:8080"),
		Sandbox: sandboxConfig{
			BaseURL:            getenv("PAYOPS_SANDBOX_BASE_URL"),
			DrillURL:           getenv("PAYOPS_DRILL_SANDBOX_URL"),
			APIKey:             or(getenv("PAYOPS_SANDBOX_API_KEY"), "sandbox-key"),
			APISecret:          or(getenv("PAYOPS_SANDBOX_API_SECRET"), "sandbox-secret"),
			WebhookSecret:      getenv("PAYOPS_SANDBOX_WEBHOOK_SECRET"),
			DrillWebhookSecret: getenv("PAYOPS_DRILL_WEBHOOK_SECRET"),
		},
	}
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set"))
	}
	key := getenv("PAYOPS_SESSION_KEY")
	if key == "" {
		errs = append(errs, errors.New("PAYOPS_SESSION_KEY is not set: give 32 or more random bytes in hex (make run generates one into .data/)"))
	} else if b, err := hex.DecodeString(key); err != nil || len(b) < 32 {
		errs = append(errs, errors.New("PAYOPS_SESSION_KEY must be at least 32 bytes written in hex (64 hex digits)"))
	} else {
		c.SessionKey = b
	}
	var err error
	if c.SessionIdle, err = time.ParseDuration(or(getenv("PAYOPS_SESSION_IDLE"), "30m")); err != nil ||
		c.SessionIdle < minSessionIdle || c.SessionIdle > 8*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_SESSION_IDLE must be a duration from 5m to 8h "+
			"(sessions end 8 hours after sign-in), not %q", getenv("PAYOPS_SESSION_IDLE")))
	}
	if c.StuckAfter, err = time.ParseDuration(or(getenv("PAYOPS_STUCK_AFTER"), "10m")); err != nil || c.StuckAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_STUCK_AFTER must be a positive duration such as 10m, not %q", getenv("PAYOPS_STUCK_AFTER")))
	}
	if v := getenv("PAYOPS_SECURE_COOKIES"); v != "" {
		if c.SecureCookies, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("PAYOPS_SECURE_COOKIES must be true or false, not %q", v))
		}
	}
	if c.Policy, err = policyFrom(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.MaxAttempts, err = strconv.Atoi(or(getenv("PAYOPS_SUBMIT_MAX_ATTEMPTS"), "5")); err != nil || c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_MAX_ATTEMPTS must be a whole number of at least 1, not %q", getenv("PAYOPS_SUBMIT_MAX_ATTEMPTS")))
	}
	if c.RetryAfter, err = time.ParseDuration(or(getenv("PAYOPS_SUBMIT_RETRY_AFTER"), "30s")); err != nil || c.RetryAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_RETRY_AFTER must be a positive duration such as 30s, not %q", getenv("PAYOPS_SUBMIT_RETRY_AFTER")))
	}
	if c.SubmitWorkers, err = strconv.Atoi(or(getenv("PAYOPS_SUBMIT_WORKERS"), "4")); err != nil || c.SubmitWorkers < 1 || c.SubmitWorkers > 64 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_WORKERS must be a whole number from 1 to 64, not %q", getenv("PAYOPS_SUBMIT_WORKERS")))
	}
	switch v := or(getenv("PAYOPS_JOBS"), "on"); v {
	case "on", "off":
		c.Jobs = v == "on"
	default:
		errs = append(errs, fmt.Errorf("PAYOPS_JOBS must be on or off, not %q", v))
	}
	c.RecheckEvery = or(getenv("PAYOPS_RECHECK_SCHEDULE"), "@every 15m")
	if _, err := cron.ParseStandard(c.RecheckEvery); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_SCHEDULE %q is not a cron schedule: %w", c.RecheckEvery, err))
	}
	if c.RecheckAfter, err = time.ParseDuration(or(getenv("PAYOPS_RECHECK_AFTER"), "2m")); err != nil || c.RecheckAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_AFTER must be a positive duration such as 2m, not %q", getenv("PAYOPS_RECHECK_AFTER")))
	}
	if c.SettledWindow, err = time.ParseDuration(or(getenv("PAYOPS_SETTLED_RECHECK_WINDOW"), "48h")); err != nil || c.SettledWindow < 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_SETTLED_RECHECK_WINDOW must be a duration such as 48h (0 for none), not %q", getenv("PAYOPS_SETTLED_RECHECK_WINDOW")))
	}
	if c.RecheckRate, err = strconv.Atoi(or(getenv("PAYOPS_RECHECK_PER_SECOND"), "5")); err != nil || c.RecheckRate < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_PER_SECOND must be a whole number of at least 1, not %q", getenv("PAYOPS_RECHECK_PER_SECOND")))
	}
	if c.RecheckLanes, err = strconv.Atoi(or(getenv("PAYOPS_RECHECK_CONCURRENCY"), "2")); err != nil || c.RecheckLanes < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_CONCURRENCY must be a whole number of at least 1, not %q", getenv("PAYOPS_RECHECK_CONCURRENCY")))
	}
	c.DayEndEvery = or(getenv("PAYOPS_DAYEND_SCHEDULE"), "30 0 * * *")
	if _, err := cron.ParseStandard(c.DayEndEvery); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_DAYEND_SCHEDULE %q is not a cron schedule: %w", c.DayEndEvery, err))
	}
	if c.BusinessTZ, err = time.LoadLocation(or(getenv("PAYOPS_BUSINESS_TZ"), "UTC")); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_BUSINESS_TZ %q is not a time zone such as Asia/Kolkata", getenv("PAYOPS_BUSINESS_TZ")))
	}
	rate, _ := strings.CutSuffix(strings.TrimSpace(or(getenv("PAYOPS_API_RATE"), "50")), "/s")
	if c.APIRate, err = strconv.Atoi(rate); err != nil || c.APIRate < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_API_RATE must be requests a second per token, such as 50 or 50/s, not %q",
			getenv("PAYOPS_API_RATE")))
	}
	tol := or(getenv("PAYOPS_WEBHOOK_TOLERANCE"), payout.DefaultWebhookTolerance.String())
	if c.WebhookTolerance, err = time.ParseDuration(tol); err != nil || c.WebhookTolerance < time.Second ||
		c.WebhookTolerance > 24*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_WEBHOOK_TOLERANCE must be a duration from 1s to 24h such as 5m, not %q", tol))
	}
	if c.Sandbox.Seed, err = strconv.ParseInt(or(getenv("PAYOPS_SANDBOX_SEED"), "42"), 10, 64); err != nil {
		errs = append(errs, errors.New("PAYOPS_SANDBOX_SEED must be a whole number"))
	}
	return c, errors.Join(errs...)
}

// minSessionIdle is the shortest idle period: a session's last use is
// written about once a minute, so a shorter one would end sessions in use.
const minSessionIdle = 5 * time.Minute

// defaultReviewThresholds: payouts above these go to compliance first.
const defaultReviewThresholds = "INR=200000.00,IDR=100000000,USD=5000.00"

// policyFrom reads the release gates' configuration.
func policyFrom(getenv func(string) string) (payout.Policy, error) {
	p, err := payout.ParsePolicy(or(getenv("PAYOPS_REVIEW_THRESHOLDS"), defaultReviewThresholds), getenv("PAYOPS_READ_ONLY_MARKETS"))
	if err != nil {
		return p, fmt.Errorf("PAYOPS_REVIEW_THRESHOLDS or PAYOPS_READ_ONLY_MARKETS: %w", err)
	}
	return p, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	sandboxAddr := fs.String("sandbox-addr", "", "also run the sandbox provider on this address and use it")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if *sandboxAddr != "" {
		// The embedded sandbox sends its webhooks to this very server.
		cfg.Sandbox.BaseURL = ""
	}
	cfg.Sandbox.randomSecrets(*sandboxAddr != "", log)
	if *sandboxAddr != "" {
		url, stop, err := startSandbox(ctx, *sandboxAddr, selfURL(cfg.Addr)+"/webhooks/sandbox", cfg.Sandbox, log)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Sandbox.BaseURL = url
	}
	providers, err := buildProviders(getenv, cfg.Sandbox)
	if err != nil {
		return err
	}
	// The drill provider: the running drill's chaotic sandbox, on a port of
	// its own and switched off between drills, unless payops drill
	// --supervise runs it outside (PAYOPS_DRILL_SANDBOX_URL).
	var slot *drill.Slot
	var slotURL string
	if cfg.Sandbox.DrillURL == "" {
		slot = &drill.Slot{}
		url, stop, err := serveOn(ctx, "127.0.0.1:0", slot)
		if err != nil {
			return fmt.Errorf("drill provider: %w", err)
		}
		defer stop()
		slotURL = url
		providers[payout.DrillProvider] = slot
	}

	st, err := store.Open(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := migrateWhenReady(ctx, st, log); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rechecker := &jobs.Rechecker{Store: st, Providers: providers, Log: log}
	dayEnd := &jobs.DayEnd{Store: st, Providers: providers, Location: cfg.BusinessTZ, Log: log}
	sched, err := scheduleJobs(st, providers, rechecker, dayEnd, cfg, log)
	if err != nil {
		return err
	}
	deps := web.Deps{Store: st, Rechecker: rechecker, Days: dayEnd, Providers: providers, Static: static.FS(), Metrics: reg, Log: log}
	if n, err := st.InterruptDrillRuns(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Warn("drills left running by a stopped payops marked interrupted", "count", n)
	}
	if slot != nil {
		runner := &drill.Runner{Store: st, Slot: slot, PayopsURL: selfURL(cfg.Addr), Log: log, Ctx: ctx,
			NewSandbox: func(chaos *sandbox.Chaos, secret string) *sandbox.Server {
				return cfg.Sandbox.newSandbox(selfURL(cfg.Addr)+"/webhooks/"+payout.DrillProvider, secret, 2*time.Second, chaos, log)
			},
			NewClient: func(secret string) adapters.Provider { return cfg.Sandbox.drillClient(slotURL, secret) }}
		if sched != nil {
			runner.Recheck = func(ctx context.Context) {
				sched.RunNow(ctx, "stale-recheck")
				sched.RunNow(ctx, "settled-recheck")
			}
		} else {
			runner.Unavailable = "this payops runs with PAYOPS_JOBS=off: no submission worker or re-check runs here to " +
				"send and follow a drill's payouts; start the drill on an instance with jobs on"
		}
		defer runner.WaitIdle()
		deps.Drills = runner
	}
	if sched != nil {
		deps.Scheduler = sched
		sched.Start(ctx)
		defer sched.Stop()
		// Holds that went past their SLA while payops was down are
		// escalated now, not a minute from now.
		go sched.RunNow(ctx, "hold-sla")
	}
	srv, err := web.New(web.Config{SessionKey: cfg.SessionKey, SecureCookies: cfg.SecureCookies,
		SessionIdle: cfg.SessionIdle, StuckAfter: cfg.StuckAfter, Policy: cfg.Policy, APIRate: cfg.APIRate,
		WebhookTolerance: cfg.WebhookTolerance}, deps)
	if err != nil {
		return err
	}
	log.Info("payops serving", "addr", "http://"+cfg.Addr, "providers", providers.Names(), "stuck_after", cfg.StuckAfter,
		"read_only_markets", cfg.Policy.Markets())
	return listenAndServe(ctx, cfg.Addr, srv)
}

// scheduleJobs schedules the background jobs, or returns nil with
// PAYOPS_JOBS=off: the submission worker, the hold SLA escalation, the
// stale re-check, day-end reconciliation, and pruning of old job runs, of
// ended sessions and of sign-in attempts.
func scheduleJobs(st *store.Store, providers adapters.Registry, rechecker *jobs.Rechecker, dayEnd *jobs.DayEnd, cfg config, log *slog.Logger) (*jobs.Scheduler, error) {
	if !cfg.Jobs {
		log.Info("jobs off (PAYOPS_JOBS=off): serving web only")
		return nil, nil
	}
	host, _ := os.Hostname()
	sched := &jobs.Scheduler{Store: st, Instance: fmt.Sprintf("%s/%d", host, os.Getpid()), Log: log, Location: cfg.BusinessTZ}
	submitter := &jobs.Submitter{Store: st, Providers: providers, Policy: cfg.Policy, Log: log, MaxAttempts: cfg.MaxAttempts,
		Backoff: jobs.ExponentialBackoff(cfg.RetryAfter), Workers: cfg.SubmitWorkers}
	escalator := &jobs.HoldEscalator{Store: st, Log: log}
	stale := &jobs.StaleRecheck{Store: st, Rechecker: rechecker, Log: log, After: cfg.RecheckAfter, SettledWindow: cfg.SettledWindow,
		PerSecond: cfg.RecheckRate, Concurrency: cfg.RecheckLanes}
	for _, j := range []jobs.Job{
		{Name: "submit", Schedule: "@every 5s", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := submitter.RunOnce(ctx)
			return jobs.Outcome{Changed: n}, err
		}},
		{Name: "hold-sla", Schedule: "@every 1m", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := escalator.RunOnce(ctx)
			return jobs.Outcome{Changed: n}, err
		}},
		{Name: "stale-recheck", Schedule: cfg.RecheckEvery, Run: stale.Run},
		{Name: "settled-recheck", Schedule: cfg.RecheckEvery, Run: stale.RunSettled},
		{Name: "day-end", Schedule: cfg.DayEndEvery, Run: dayEnd.Run},
		{Name: "prune-job-runs", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.PruneRuns(ctx, time.Now().AddDate(0, 0, -14))
			return jobs.Outcome{Changed: n}, err
		}},
		{Name: "prune-sessions", Schedule: "@every 1h", Run: func(ctx context.Context) (jobs.Outcome, error) {
			return pruneSignIns(ctx, st, time.Now())
		}},
	} {
		if err := sched.Add(j); err != nil {
			return nil, err
		}
	}
	return sched, nil
}

// endedSessionsKept is how long ended sessions stay, with their times and
// client address, for looking into who used the dashboard from where.
const endedSessionsKept = 14 * 24 * time.Hour

// pruneSignIns deletes the sessions that ended (or were last used) more than
// endedSessionsKept ago, and the sign-in attempts out of the throttle's
// window.
func pruneSignIns(ctx context.Context, st *store.Store, now time.Time) (jobs.Outcome, error) {
	sessions, err := st.PruneSessions(ctx, now.Add(-endedSessionsKept))
	if err != nil {
		return jobs.Outcome{}, err
	}
	attempts, err := st.PruneLoginAttempts(ctx, now.Add(-web.ThrottleWindow))
	return jobs.Outcome{Changed: sessions + attempts}, err
}

// migrateWhenReady applies migrations, waiting for a database that is not
// up yet rather than giving up.
func migrateWhenReady(ctx context.Context, st *store.Store, log *slog.Logger) error {
	for wait := time.Second; ; wait = min(wait*2, 30*time.Second) {
		n, err := st.Migrate(ctx)
		if err == nil {
			if n > 0 {
				log.Info("migrations applied", "count", n)
			}
			return nil
		}
		if !store.IsUnavailable(err) {
			return err
		}
		log.Warn("database not reachable; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func listenAndServe(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(shutdown)
	}
}

// newSandbox is a sandbox provider with payops' sandbox credentials,
// sending its webhooks to webhookURL signed with secret.
func (c sandboxConfig) newSandbox(webhookURL, secret string, settle time.Duration, chaos *sandbox.Chaos, log *slog.Logger) *sandbox.Server {
	return sandbox.New(sandbox.Config{Seed: c.Seed, APIKey: c.APIKey, APISecret: c.APISecret, WebhookURL: webhookURL,
		WebhookSecret: secret, SettleAfter: settle, Chaos: chaos, Log: log})
}

// randomSecrets gives each test provider enabled without an explicit
// webhook secret a random one for this start, never a constant anyone could
// know: the sandbox inside serve (inside) signs with it, so nothing is
// lost; a test provider elsewhere does not know it, so its webhooks are
// refused until the secret it signs with is set, and payops says so.
func (c *sandboxConfig) randomSecrets(inside bool, log *slog.Logger) {
	if c.WebhookSecret == "" && (inside || c.BaseURL != "") {
		c.WebhookSecret = randomHex(32)
		if !inside {
			log.Warn("PAYOPS_SANDBOX_WEBHOOK_SECRET is not set: the sandbox's webhooks are verified with a random " +
				"secret and will be refused; set it to the secret the sandbox signs with")
		}
	}
	if c.DrillURL != "" && c.DrillWebhookSecret == "" {
		c.DrillWebhookSecret = randomHex(32)
		log.Warn("PAYOPS_DRILL_WEBHOOK_SECRET is not set: the drill provider's webhooks are verified with a random " +
			"secret and will be refused; payops drill --supervise sets it")
	}
}

// drillClient is payops' client of a drill's sandbox at baseURL, verifying
// its webhooks with secret.
func (c sandboxConfig) drillClient(baseURL, secret string) *nxtbanking.Client {
	return nxtbanking.NewClient(nxtbanking.Config{Name: payout.DrillProvider, BaseURL: baseURL, APIKey: c.APIKey,
		APISecret: c.APISecret, WebhookSecret: secret})
}

// startSandbox runs the sandbox provider in this process on addr and returns
// its base URL.
func startSandbox(ctx context.Context, addr, webhookURL string, cfg sandboxConfig, log *slog.Logger) (string, func(), error) {
	url, stop, err := serveOn(ctx, addr, cfg.newSandbox(webhookURL, cfg.WebhookSecret, 30*time.Second, nil, log))
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	log.Info("sandbox provider running", "addr", url, "seed", cfg.Seed)
	return url, stop, nil
}

// serveOn serves h on addr in the background and returns its base URL.
func serveOn(ctx context.Context, addr string, h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// selfURL is how this process reaches its own listening address addr
// ("0.0.0.0:8080" or ":8080" through the loopback).
func selfURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func cmdSandbox(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	webhookURL := fs.String("webhook-url", "", "where to send signed webhooks (none when empty)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, _ := loadConfig(getenv) // only the sandbox part matters here
	if *webhookURL != "" && cfg.Sandbox.WebhookSecret == "" {
		return errors.New("the sandbox signs its webhooks with PAYOPS_SANDBOX_WEBHOOK_SECRET: set it here and in payops " +
			"(there is no default secret)")
	}
	sb := cfg.Sandbox.newSandbox(*webhookURL, cfg.Sandbox.WebhookSecret, 30*time.Second, nil, log)
	log.Info("sandbox provider serving", "addr", "http://"+*addr, "seed", cfg.Sandbox.Seed)
	return listenAndServe(ctx, *addr, sb)
}
