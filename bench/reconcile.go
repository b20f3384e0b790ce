package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// reconResult is benchmark 3's measure.
type reconResult struct {
	compare, store, total, bare time.Duration // medians of reconRounds
	totalRange, bareRange       string        // their lowest and highest
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
	if err := pgtest.VacuumBigDay(ctx, st.DB()); err != nil {
		return reconResult{}, err
	}
	return reconcileDay(ctx, st, day, func(ctx context.Context) error {
		_, err := pgtest.BareJoin(ctx, st.DB())
		return err
	})
}

// serveGCPercent is serve's GOGC (cmd_serve.go), under which a
// reconciliation runs in production.
const serveGCPercent = 400

// reconRounds is how many times reconcileDay reconciles the day and runs
// the bare join, in turn: one run of each swung by a quarter from run to run
// (the bare join from 0.51 to 0.75 s at a million; the first round of each,
// on a cold cache, up to 0.9 s), so each figure is the median of its
// rounds, and the range of each is in the report.
const reconRounds = 5

// reconcileDay reconciles day through store.Reconcile, timing its phases,
// then times bare, the bare join to compare it with, reconRounds times in
// turn, and returns the median of each figure (each round stores one more
// version of the day's run, as Run now does).
func reconcileDay(ctx context.Context, st *store.Store, day pgtest.BigDay, bare func(context.Context) error) (reconResult, error) {
	// Day-end and Run reconcile inside serve, whose collector runs at
	// GOGC=400 (serveGCPercent in cmd_serve.go); here too while this runs.
	defer debug.SetGCPercent(debug.SetGCPercent(serveGCPercent))
	var compare, stored, total, bares []time.Duration
	var res reconResult
	for range reconRounds {
		began, compared := time.Now(), time.Time{}
		phases := store.WithReconPhases(ctx, func(phase string) {
			switch phase {
			case "compare":
				compared = time.Now()
				compare = append(compare, compared.Sub(began))
			case "store":
				stored = append(stored, time.Since(compared))
			}
		})
		run, err := st.Reconcile(phases, "sandbox", day.Day, day.Day, day.Day.Add(24*time.Hour), "list", "bench", day.Records, false)
		if err != nil {
			return reconResult{}, err
		}
		total = append(total, time.Since(began))
		if res.diffs = run.Diffs; run.Diffs != day.Diffs {
			return res, fmt.Errorf("reconciliation found %d differences, want %d", run.Diffs, day.Diffs)
		}
		began = time.Now()
		if err := bare(ctx); err != nil {
			return res, err
		}
		bares = append(bares, time.Since(began))
	}
	res.compare, res.store, res.total, res.bare = median(compare), median(stored), median(total), median(bares)
	res.totalRange, res.bareRange = spread(total), spread(bares)
	return res, nil
}

// spread is "lowest–highest" of d, in seconds.
func spread(d []time.Duration) string {
	return fmt.Sprintf("%.2f–%.2f s", slices.Min(d).Seconds(), slices.Max(d).Seconds())
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
	r.add(bench, "Reconcile in all", secs(res.total)+" ("+res.totalRange+")")
	r.add(bench, "bare FULL OUTER JOIN", secs(res.bare)+" ("+res.bareRange+")")
	r.goal(bench, "Reconcile / bare join", fmt.Sprintf("%.2f×", ratio), "< 1.5×", ratio < 1.5)
	r.describe(3, fmt.Sprintf("**Day-end reconciliation.** `pgtest.NewBigDay`, the day `store`'s `BenchmarkReconcileMillion` "+
		"uses: %s SUCCEEDED sandbox payouts sent on one day, and the provider's %s records of it with 0.5%% missing on each side, 0.2%% "+
		"amount and 0.2%% status mismatches (%s differences, all found). `store.Reconcile`, the function day-end and Run now call, "+
		"runs %d times, each followed by the bare join below, and each figure is the median of its runs (lowest–highest in "+
		"brackets: the bare join alone swung by a quarter between runs). Reconcile reads the day's payouts in one stream past an index of the records in memory and stores the run "+
		"(records as one zstd-compressed document, compressed while the comparison runs; differences by COPY; totals); "+
		"it runs in this process with serve's collector setting (GOGC 400), as "+
		"day-end runs it inside serve; "+
		"`store.WithReconPhases` marks when the differences and totals are made and when they are stored; \"in all\" adds "+
		"starting and committing the transaction and reading the run back. The bare `FULL OUTER JOIN` is "+
		"of the provider's payouts with the same records, loaded beforehand (not timed) into a plain table, on provider "+
		"payout id, counted. Both tables are vacuumed and analyzed after seeding, as a day's rows are by day end (not timed).",
		thousands(c.payouts), thousands(c.payouts), thousands(res.diffs), reconRounds))
	return nil
}
