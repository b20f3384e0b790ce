package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"payops/adapters"
	"payops/jobs"
	"payops/store"
)

// scheduleJobs schedules the background jobs, or returns nil with
// PAYOPS_JOBS=off: the submission worker, the hold SLA escalation, the
// exceptions scan, the stale re-check, day-end reconciliation,
// notifications, provider balances and call counts, the history tables'
// partitions made ahead and their old months archived, and pruning of old job runs, of the notifications log, of ended sessions and of sign-in attempts.
func scheduleJobs(st *store.Store, providers adapters.Registry, rechecker *jobs.Rechecker, dayEnd *jobs.DayEnd, cfg config, log *slog.Logger) (*jobs.Scheduler, error) {
	if !cfg.Jobs {
		log.Info("jobs off (PAYOPS_JOBS=off): serving web only")
		return nil, nil
	}
	archiver := &jobs.Archiver{Store: st, Dir: cfg.ArchiveDir, Retention: cfg.Retention, Log: log}
	if cfg.ArchiveDir == "" {
		log.Info("history archive off (no PAYOPS_ARCHIVE_DIR): no month of history is dropped")
	} else if err := archiver.CheckDir(); err != nil {
		log.Warn("PAYOPS_ARCHIVE_DIR is not there: archive-history archives nothing until it is created or mounted",
			"dir", cfg.ArchiveDir)
	}
	host, _ := os.Hostname()
	sched := &jobs.Scheduler{Store: st, Instance: fmt.Sprintf("%s/%d", host, os.Getpid()), Log: log, Location: cfg.BusinessTZ}
	submitter := &jobs.Submitter{Store: st, Providers: providers, Policy: cfg.Policy, Log: log, MaxAttempts: cfg.MaxAttempts,
		Backoff: jobs.ExponentialBackoff(cfg.RetryAfter), Workers: cfg.SubmitWorkers, Health: st, Breaker: cfg.Breaker}
	balances := &jobs.BalanceReader{Store: st, Providers: providers, Log: log}
	escalator := &jobs.HoldEscalator{Store: st, Log: log}
	stale := &jobs.StaleRecheck{Store: st, Rechecker: rechecker, Log: log, After: cfg.RecheckAfter, SettledWindow: cfg.SettledWindow,
		PerSecond: cfg.RecheckRate, Concurrency: cfg.RecheckLanes}
	notifier, err := newNotifier(st, cfg, log)
	if err != nil {
		return nil, err
	}
	for _, j := range []jobs.Job{
		{Name: "submit", Schedule: "@every 5s", Run: submitter.Run},
		{Name: "hold-sla", Schedule: "@every 1m", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := escalator.RunOnce(ctx)
			return jobs.Outcome{Changed: n}, err
		}},
		// Exceptions: open a case for each condition found after sending,
		// close those that cleared, escalate those past their SLA.
		{Name: "exceptions", Schedule: "@every 1m", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.ScanExceptions(ctx, classifyFailure(providers))
			return jobs.Outcome{Changed: n.Opened + n.Closed + n.Escalated}, err
		}},
		{Name: "stale-recheck", Schedule: cfg.RecheckEvery, Run: stale.Run},
		{Name: "settled-recheck", Schedule: cfg.RecheckEvery, Run: stale.RunSettled},
		{Name: "day-end", Schedule: cfg.DayEndEvery, Run: dayEnd.Run},
		{Name: "notify", Schedule: "@every 1m", Run: notifier.Run},
		// Folds the payout count deltas status changes append (migration
		// 00029), so a scrape of payops_payouts sums a few seconds' worth.
		{Name: "fold-payout-counts", Schedule: "@every 10s", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.FoldPayoutCounts(ctx)
			return jobs.Outcome{Changed: n}, err
		}},
		// History (issue 19): the coming months' partitions made ahead.
		{Name: "make-partitions", Schedule: "@daily", Run: (&jobs.Partitioner{Store: st, Ahead: cfg.PartitionsAhead}).Run},
		// Months past PAYOPS_RETENTION written to PAYOPS_ARCHIVE_DIR and
		// dropped; nothing without a folder.
		{Name: "archive-history", Schedule: "30 3 * * *", Run: archiver.Run},
		{Name: "prune-job-runs", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.PruneRuns(ctx, time.Now().Add(-jobRunsKept))
			return jobs.Outcome{Changed: n}, err
		}},
		{Name: "prune-notifications", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.PruneNotifications(ctx, time.Now().Add(-notificationsKept))
			return jobs.Outcome{Changed: n}, err
		}},
		// Outbound webhooks: due deliveries every 2 s; each run drains them.
		{Name: "outbound-webhooks", Schedule: "@every 2s", Run: outboundJob(st, cfg, log).Run},
		{Name: "prune-outbound-webhooks", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.PruneOutbound(ctx, time.Now().Add(-outboundKept), outboundPruneBatch)
			return jobs.Outcome{Changed: n}, err
		}},
		{Name: "prune-sessions", Schedule: "@every 1h", Run: func(ctx context.Context) (jobs.Outcome, error) {
			return pruneSignIns(ctx, st, time.Now())
		}},
		// Provider health: balances between submission batches; the
		// per-minute call counts kept a few days.
		{Name: "provider-balances", Schedule: cfg.BalanceEvery, Run: balances.Run},
		{Name: "prune-call-stats", Schedule: "@daily", Run: func(ctx context.Context) (jobs.Outcome, error) {
			n, err := st.PruneCallStats(ctx, time.Now().Add(-callStatsKept))
			return jobs.Outcome{Changed: n}, err
		}},
	} {
		if err := sched.Add(j); err != nil {
			return nil, err
		}
	}
	return sched, nil
}
