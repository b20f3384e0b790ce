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
	compare, store, total, bare time.Duration
	diffs                       int
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
	return reconcileDay(ctx, st, day, func(ctx context.Context) error {
		_, err := pgtest.BareJoin(ctx, st.DB())
		return err
	})
}

// reconcileDay reconciles day through store.Reconcile, timing its phases,
// then times bare, the bare join to compare it with.
func reconcileDay(ctx context.Context, st *store.Store, day pgtest.BigDay, bare func(context.Context) error) (reconResult, error) {
	var res reconResult
	began, compared := time.Now(), time.Time{}
	phases := store.WithReconPhases(ctx, func(phase string) {
		switch phase {
		case "compare":
			compared = time.Now()
			res.compare = compared.Sub(began)
		case "store":
			res.store = time.Since(compared)
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
	if err := bare(ctx); err != nil {
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
	defer cl.done(ctx, name)
	defer st.Close()
	say("benchmark 3: reconciling %s payouts against %s records", thousands(c.payouts), thousands(c.payouts))
	res, err := runRecon(ctx, st, c.payouts)
	if err != nil {
		return err
	}
	ratio := res.total.Seconds() / res.bare.Seconds()
	r.add(bench, "match and compare (differences, totals)", secs(res.compare))
	r.add(bench, "store records, differences, totals", secs(res.store))
	r.add(bench, "Reconcile in all", secs(res.total))
	r.add(bench, "bare FULL OUTER JOIN", secs(res.bare))
	r.goal(bench, "Reconcile / bare join", fmt.Sprintf("%.2f×", ratio), "< 1.5×", ratio < 1.5)
	r.describe(3, fmt.Sprintf("**Day-end reconciliation.** `pgtest.NewBigDay`, the day `store`'s `BenchmarkReconcileMillion` "+
		"uses: %s SUCCEEDED sandbox payouts sent on one day, and the provider's %s records of it with 0.5%% missing on each side, 0.2%% "+
		"amount and 0.2%% status mismatches (%s differences, all found). `store.Reconcile`, the function day-end and Run now call, "+
		"runs once: it reads the day's payouts in one stream past an index of the records in memory and stores the run "+
		"(records as one compressed document, compressed while the comparison runs; differences by COPY; totals); "+
		"`store.WithReconPhases` marks when the differences and totals are made and when they are stored; \"in all\" adds "+
		"starting and committing the transaction and reading the run back. Then, in the same run, a bare `FULL OUTER JOIN` "+
		"of the provider's payouts with the same records, loaded beforehand (not timed) into a plain table, on provider "+
		"payout id, counted.",
		thousands(c.payouts), thousands(c.payouts), thousands(res.diffs)))
	return nil
}
