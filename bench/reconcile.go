package main

import (
	"context"
	"fmt"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// reconResult is benchmark 3's measure.
type reconResult struct {
	load, compare, total, bare time.Duration
	diffs                      int
}

// runRecon reconciles a day of n payouts against the provider's n records
// (pgtest.NewBigDay, as store's BenchmarkReconcileMillion does) through
// store.Reconcile, the function day-end and Run now call, timing its phases,
// then runs the bare FULL OUTER JOIN of the same rows.
func runRecon(ctx context.Context, st *store.Store, n int) (reconResult, error) {
	day, err := pgtest.NewBigDay(ctx, st.DB(), n)
	if err != nil {
		return reconResult{}, err
	}
	var res reconResult
	began, loaded := time.Now(), time.Time{}
	phases := store.WithReconPhases(ctx, func(phase string) {
		switch phase {
		case "load":
			loaded = time.Now()
			res.load = loaded.Sub(began)
		case "compare":
			res.compare = time.Since(loaded)
		}
	})
	run, err := st.Reconcile(phases, "sandbox", day.Day, day.Day, day.Day.Add(24*time.Hour), "list", "bench", day.Records)
	if err != nil {
		return reconResult{}, err
	}
	res.total = time.Since(began)
	if res.diffs = run.Diffs; run.Diffs != day.Diffs {
		return res, fmt.Errorf("reconciliation found %d differences, want %d", run.Diffs, day.Diffs)
	}
	began = time.Now()
	if _, err := pgtest.BareJoin(ctx, st.DB(), run.ID); err != nil {
		return res, err
	}
	res.bare = time.Since(began)
	return res, nil
}

// benchRecon is benchmark 3.
func benchRecon(ctx context.Context, c config, cl *cluster, r *report) error {
	const name, bench = "bench_recon", "3 Day-end reconciliation"
	st, err := cl.freshDB(ctx, name)
	if err != nil {
		return err
	}
	defer cl.dropDB(ctx, name)
	defer st.Close()
	say("benchmark 3: reconciling %s payouts against %s records", thousands(c.payouts), thousands(c.payouts))
	res, err := runRecon(ctx, st, c.payouts)
	if err != nil {
		return err
	}
	ratio := res.total.Seconds() / res.bare.Seconds()
	r.add(bench, "load the provider's records", secs(res.load))
	r.add(bench, "differences and totals", secs(res.compare))
	r.add(bench, "Reconcile in all", secs(res.total))
	r.add(bench, "bare FULL OUTER JOIN", secs(res.bare))
	r.goal(bench, "Reconcile / bare join", fmt.Sprintf("%.1f×", ratio), "< 2×", ratio < 2)
	r.describe(3, fmt.Sprintf("**Day-end reconciliation.** `pgtest.NewBigDay`, the day `store`'s `BenchmarkReconcileMillion` "+
		"uses: %s SUCCEEDED sandbox payouts sent on one day, and the provider's %s records of it with 0.5%% missing on each side, 0.2%% "+
		"amount and 0.2%% status mismatches (%s differences, all found). `store.Reconcile`, the function day-end and Run now call, "+
		"runs once; `store.WithReconPhases` marks when the records are loaded (COPY) and when the differences and totals are made; "+
		"\"in all\" adds starting and committing the transaction and reading the run back. Then, in the same run, a bare "+
		"`FULL OUTER JOIN` of the provider's payouts with the run's records on provider payout id, counted.",
		thousands(c.payouts), thousands(c.payouts), thousands(res.diffs)))
	return nil
}
