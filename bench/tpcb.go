package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"payops/store"
)

// tpcbScale is the scale of pgbench's own tables for the tpcb-like
// comparison: 1,000,000 accounts, and as many branches as the most clients
// of benchmark 1's first level, so clients do not all wait on one branch
// row.
const tpcbScale = 10

// tpcbDB is the database of pgbench's own tables.
const tpcbDB = "bench_tpcb"

// tpcbInit makes tpcbDB and fills it with pgbench -i.
func tpcbInit(ctx context.Context, cl *cluster, bin string) error {
	if err := cl.dropDB(ctx, tpcbDB); err != nil {
		return err
	}
	if _, err := cl.admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, tpcbDB)); err != nil {
		return fmt.Errorf("create database %s: %w", tpcbDB, err)
	}
	cmd := exec.CommandContext(ctx, bin, "-i", "-q", "-s", fmt.Sprint(tpcbScale),
		"-h", cl.socket, "-p", fmt.Sprint(cl.port), "-U", "postgres", tpcbDB)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %w: %s", err, lastLines(out, 5))
	}
	return nil
}

// tpcbRun runs pgbench's built-in tpcb-like script (-M prepared, as payops
// prepares its statements) from conc clients for warm+dur and measures the
// transactions that ended in the last dur, and the CPU time pgbench and
// the cluster used over the whole run. With syncCommit the clients'
// sessions set synchronous_commit=on (the cluster's default is off).
func tpcbRun(ctx context.Context, cl *cluster, bin, dir string, conc int, warm, dur time.Duration, syncCommit bool) (window, cpuUse, error) {
	prefix := filepath.Join(dir, fmt.Sprintf("tpcb-c%d-sync%t", conc, syncCommit))
	old, _ := filepath.Glob(prefix + ".*")
	for _, f := range old {
		os.Remove(f)
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-b", "tpcb-like", "-M", "prepared", "-c", fmt.Sprint(conc), "-j", "2",
		"-T", fmt.Sprint(int((warm + dur + time.Second).Seconds())), "-l", "--log-prefix", prefix,
		"-h", cl.socket, "-p", fmt.Sprint(cl.port), "-U", "postgres", tpcbDB)
	cmd.Env = os.Environ()
	if syncCommit {
		cmd.Env = append(cmd.Env, "PGOPTIONS=-c synchronous_commit=on")
	}
	meter, err := startCPU(cl.pg.Dir, 0)
	if err != nil {
		return window{}, cpuUse{}, err
	}
	out, err := cmd.CombinedOutput()
	used, cerr := meter.stop()
	os.WriteFile(prefix+".out", out, 0o644)
	if err != nil {
		return window{}, cpuUse{}, fmt.Errorf("pgbench tpcb-like -c %d: %w: %s", conc, err, lastLines(out, 10))
	}
	if cerr != nil {
		return window{}, cpuUse{}, cerr
	}
	used.client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	samples, failed, err := readPgbenchLogs(prefix+".[0-9]*", func(script int) (string, bool) { return "tpcb-like", script == 0 })
	if err != nil {
		return window{}, cpuUse{}, err
	}
	if failed > 0 || len(samples) == 0 {
		return window{}, cpuUse{}, fmt.Errorf("pgbench tpcb-like -c %d: %d transactions failed, %d logged", conc, failed, len(samples))
	}
	first := samples[0].end
	for _, s := range samples {
		if s.end.Before(first) {
			first = s.end
		}
	}
	return measure(samples, first.Add(warm), dur), used, nil
}

// benchSyncCommit runs payops (8 concurrent, on the in-flight payouts of
// rng) and pgbench's tpcb-like script (8 clients) once more with
// synchronous_commit on in their sessions: each commit then waits for its
// WAL to be written and flushed (the cluster runs with fsync off, so the
// flush itself is cheap; what is measured is the wait for the WAL writer).
func benchSyncCommit(ctx context.Context, c config, cl *cluster, st *store.Store, r *report, pgbenchBin, name string, rng [2]int) error {
	const bench = "1 Webhook ingestion"
	p, err := serve(ctx, c.bin, cl.dsn(name)+" synchronous_commit=on", filepath.Join(c.work, "serve-webhooks-sync.log"),
		map[string]string{"PAYOPS_JOBS": "off", "PAYOPS_SANDBOX_BASE_URL": "http://127.0.0.1:9",
			"PAYOPS_SANDBOX_WEBHOOK_SECRET": benchWebhookSecret})
	if err != nil {
		return err
	}
	defer p.stop()
	say("benchmark 1: synchronous_commit=on: payops, %d concurrent, %s", outboxLevel, c.warmup+c.duration)
	w, err := postRange(ctx, c, st, p, rng)
	if err != nil {
		return err
	}
	say("benchmark 1: synchronous_commit=on: pgbench tpcb-like, %d clients, %s", outboxLevel, c.warmup+c.duration)
	tw, _, err := tpcbRun(ctx, cl, pgbenchBin, c.work, outboxLevel, c.warmup, c.duration, true)
	if err != nil {
		return err
	}
	ratio := w.perSec / tw.perSec
	r.add(bench, fmt.Sprintf("synchronous_commit=on: payops, %d concurrent: deliveries/s", outboxLevel), fmt.Sprintf("%.0f", w.perSec))
	r.add(bench, fmt.Sprintf("synchronous_commit=on: tpcb-like, %d clients: transactions/s", outboxLevel), fmt.Sprintf("%.0f", tw.perSec))
	r.goal(bench, "synchronous_commit=on: payops/tpcb-like", fmt.Sprintf("%.2f", ratio), "≥ 1", ratio >= 1)
	return nil
}
