package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"payops/adapters"
	"payops/adapters/sandbox"
	"payops/drill"
	"payops/handlers"
	"payops/jobs"
	"payops/metrics"
	"payops/notify/chat"
	"payops/notify/email"
	"payops/outbound"
	"payops/payout"
	"payops/static"
	"payops/store"
	"payops/web"
)

// serveFlags are serve's flags.
type serveFlags struct {
	sandboxAddr string // also run the sandbox here
	banner      bool   // print where payops is and how to sign in, once it serves
	logFile     string // log here instead of to stderr
}

// serveGCPercent is the Go collector's GOGC for serve when the environment
// sets none. serve's live heap is a few MiB, so at Go's default (100) it
// collects every few MiB allocated: a tenth of serve's CPU on the stuck
// page under load, more on webhooks (perf, 2026-12-05). At 400 the heap may
// grow to five times the live heap between collections, tens of MiB
// (docs/BENCHMARKS.md, benchmark 5), for a fifth of the collections.
const serveGCPercent = 400

// collectLessOften sets serveGCPercent unless GOGC is set.
func collectLessOften(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

func parseServeFlags(args []string) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.sandboxAddr, "sandbox-addr", "", "also run the sandbox provider on this address and use it")
	fs.BoolVar(&f.banner, "banner", false, "once serving, print the address, the demo logins and how to get an API token")
	fs.StringVar(&f.logFile, "log", "", "append the log to this file instead of writing it to stderr")
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	return f, nil
}

// cmdServe runs payops: migrations, the jobs, the dashboard, the webhook
// endpoint and the platform API, and with --sandbox-addr the sandbox too.
// With --banner it prints to stdout, once it serves, what make run shows.
func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	flags, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	log, closeLog, err := serveLog(flags.logFile, log)
	if err != nil {
		return err
	}
	defer closeLog()
	collectLessOften(getenv)
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if flags.sandboxAddr != "" {
		// The embedded sandbox sends its webhooks to this very server.
		cfg.Sandbox.BaseURL = ""
	}
	cfg.Sandbox.randomSecrets(flags.sandboxAddr != "", log)
	if flags.sandboxAddr != "" {
		url, stop, err := startSandbox(ctx, flags.sandboxAddr, selfURL(cfg.Addr)+"/webhooks/sandbox", cfg.Sandbox, log)
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
	st.StuckLongAfter = cfg.StuckLongAfter
	if err := migrateWhenReady(ctx, st, log); err != nil {
		return err
	}
	if un := cfg.Policy.Unreviewed(); len(un) > 0 {
		log.Warn("PAYOPS_REVIEW_THRESHOLDS sets no review threshold for some currencies: their payouts go without "+
			"compliance review at any amount where a market's launch document sets none", "currencies", strings.Join(un, ","))
	}
	if cfg.IgnoredReadOnlyMarkets != "" {
		// Before any job can send: a market the setting kept read-only
		// stays so through the upgrade to launch documents.
		kept, err := st.KeepReadOnlyAfterUpgrade(ctx, payout.MarketCodes(cfg.IgnoredReadOnlyMarkets))
		if err != nil {
			return err
		}
		log.Warn("PAYOPS_READ_ONLY_MARKETS is no longer read: launch documents decide which markets are live "+
			"(payops market apply); a market it lists whose only document is the upgrade's is put back to read-only",
			"read_only_markets", cfg.IgnoredReadOnlyMarkets, "put_back_to_read_only", kept)
	}
	if cfg.ReadURL != "" {
		if err := st.UseReplica(cfg.ReadURL); err != nil {
			return fmt.Errorf("PAYOPS_READ_DATABASE_URL: %w", err)
		}
		log.Info("lists, search and exports read the replica (PAYOPS_READ_DATABASE_URL)")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every call is counted twice: for /metrics (this instance) and for the
	// providers page (every instance, in the database).
	counts := &jobs.CallStats{Store: st, Log: log}
	go counts.Run(ctx, callStatsFlush)
	calls := adapters.Observers{metrics.NewCalls(reg), counts}
	observeCalls(providers, calls)
	rechecker := &jobs.Rechecker{Store: st, Providers: providers, Log: log}
	dayEnd := &jobs.DayEnd{Store: st, Providers: providers, Location: cfg.BusinessTZ, Log: log}
	sched, err := scheduleJobs(st, providers, rechecker, dayEnd, cfg, log)
	if err != nil {
		return err
	}
	business := &metrics.Business{Source: st, StuckAfter: cfg.StuckAfter, Providers: realProviders(providers),
		MaxAge: metricsMaxAge, Log: log}
	if sched != nil {
		business.Intervals = sched.Intervals()
	}
	reg.MustRegister(business)
	deps := web.Deps{Store: st, Rechecker: rechecker, Days: dayEnd, Providers: providers, Static: static.FS(), Metrics: reg, Log: log,
		Deliveries: handlers.DeliveryCounters{metrics.NewDeliveries(reg, realProviders(providers), store.Outcomes), counts},
		MaxPause:   cfg.DowntimeMaxPause}
	if n, err := st.InterruptDrillRuns(ctx, instanceName(cfg.Addr)); err != nil {
		return err
	} else if n > 0 {
		log.Warn("drills left running by a stopped payops marked interrupted", "count", n)
	}
	if slot != nil {
		runner := &drill.Runner{Store: st, Slot: slot, PayopsURL: selfURL(cfg.Addr), Instance: instanceName(cfg.Addr),
			Log: log, Ctx: ctx,
			NewSandbox: func(chaos *sandbox.Chaos, secret string) *sandbox.Server {
				return cfg.Sandbox.newSandbox(selfURL(cfg.Addr)+"/webhooks/"+payout.DrillProvider, secret, 2*time.Second, chaos, log)
			},
			NewClient: func(secret string) adapters.Provider {
				c := cfg.Sandbox.drillClient(slotURL, secret)
				c.Caller().Observer = calls
				return c
			}}
		if sched != nil {
			runner.Recheck = func(ctx context.Context) {
				sched.RunNow(ctx, "stale-recheck")
				sched.RunNow(ctx, "settled-recheck")
			}
			runner.ScanExceptions = func(ctx context.Context) error {
				_, err := st.ScanExceptions(ctx, classifyFailure(providers))
				return err
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
		go sched.RunNow(ctx, "exceptions")
	}
	srv, err := web.New(web.Config{SessionKey: cfg.SessionKey, SecureCookies: cfg.SecureCookies,
		SessionIdle: cfg.SessionIdle, StuckAfter: cfg.StuckAfter, Policy: cfg.Policy, APIRate: cfg.APIRate,
		WebhookTolerance: cfg.WebhookTolerance, EmailFrom: cfg.emailFrom(), Outbound: cfg.Outbound,
		TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken,
		History: handlers.HistorySettings{ArchiveDir: cfg.ArchiveDir, Retention: cfg.Retention, JobRunsKept: jobRunsKept}}, deps)
	if err != nil {
		return err
	}
	// Webhooks are taken in in groups (group commit) by these writers,
	// stopped after the HTTP server: every delivery handed to them is
	// answered first.
	defer st.GroupWebhooks(cfg.WebhookWriters, metrics.NewGroups(reg))()
	log.Info("payops serving", "addr", "http://"+cfg.Addr, "version", buildVersion(), "providers", providers.Names(),
		"stuck_after", cfg.StuckAfter)
	err = listenAndServe(ctx, cfg.Addr, srv, bannerOnce(ctx, flags, stdout, st, cfg.DatabaseURL))
	if ctx.Err() != nil {
		// A deploy's SIGTERM: the deferred scheduler stop then waits for the
		// job runs in flight (each call bounded by its own timeout).
		log.Info("payops stopping: requests answered; finishing the job runs in flight", "err", err)
	}
	return err
}

// newNotifier is the notify job with payops' conditions, email through
// PAYOPS_SMTP_URL (none when unset) and chat webhooks.
func newNotifier(st *store.Store, cfg config, log *slog.Logger) (*jobs.Notifier, error) {
	n := &jobs.Notifier{Store: st, Conditions: jobs.StandardConditions(st, cfg.StuckAfter),
		Chat: chat.NewClient(chatTimeout, outbound.Transport(cfg.Outbound, chatTimeout)), Log: log, Now: time.Now,
		PublicURL: cfg.PublicURL}
	if cfg.SMTPURL == "" {
		log.Info("notices go to chat webhooks only: PAYOPS_SMTP_URL is not set")
		return n, nil
	}
	mailer, err := email.NewClient(cfg.SMTPURL, smtpTimeout)
	if err != nil {
		return nil, fmt.Errorf("PAYOPS_SMTP_URL: %w", err)
	}
	log.Info("notices emailed", "smtp", mailer.String(), "from", mailer.From())
	n.Email = mailer
	return n, nil
}

// callStatsFlush is how often an instance adds its provider call counts to
// the database; callStatsKept how long they are kept.
const (
	callStatsFlush = 10 * time.Second
	callStatsKept  = 3 * 24 * time.Hour
)

// notificationsKept is how long the notifications log keeps a notice sent
// or abandoned, and a cleared condition its state.
const notificationsKept = 90 * 24 * time.Hour

// jobRunsKept is how long job runs are kept before prune-job-runs drops
// them.
const jobRunsKept = 14 * 24 * time.Hour

// outboundKept is how long an outbound webhook event is kept once every
// delivery of it is done (delivered or given up): the endpoint's delivery
// log and redelivery reach back that far. Without it the outbox would grow
// by an event and a delivery per change for ever (issue 19). Pruned
// outboundPruneBatch events a statement, so no statement holds a long list
// of rows locked.
const (
	outboundKept       = 90 * 24 * time.Hour
	outboundPruneBatch = 10_000
)

// metricsMaxAge is how long one read of the business gauges serves /metrics:
// far under any scrape interval, long enough that a burst of scrapes costs
// the database one read (make bench, benchmark 7).
const metricsMaxAge = 5 * time.Second

// observeCalls has every provider's Caller report its requests to obs.
func observeCalls(providers adapters.Registry, obs adapters.CallObserver) {
	for _, p := range providers {
		if c, ok := p.(interface{ Caller() *adapters.Caller }); ok {
			c.Caller().Observer = obs
		}
	}
}

// realProviders is the configured providers' names without the drill
// provider, whose payouts the business gauges leave out.
func realProviders(providers adapters.Registry) []string {
	var out []string
	for _, n := range providers.Names() {
		if n != payout.DrillProvider {
			out = append(out, n)
		}
	}
	return out
}

// outboundJob is the outbound webhooks' delivery job. An endpoint it
// disables for failing 3 days is logged and audited
// (webhook_endpoint.disabled); the notify job tells admins and its owner
// (payout.CondEndpointDisabled).
func outboundJob(st *store.Store, cfg config, log *slog.Logger) *jobs.Outbound {
	return &jobs.Outbound{Store: st, Client: outbound.NewClient(cfg.Outbound, outboundTimeout), Log: log,
		Timeout: outboundTimeout}
}

// outboundTimeout bounds one attempt to deliver an outbound webhook.
const outboundTimeout = 5 * time.Second

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
