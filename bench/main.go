// Command bench is make bench: issue #6's five benchmarks of payops,
// issue #14's sixth and issue #16's seventh on a private PostgreSQL,
// printed as one table and written to docs/BENCHMARKS.md with the date and
// the machine.
//
//  1. webhook ingestion: signed sandbox webhooks (new, duplicate and stale)
//     posted to bin/payops serve at concurrency 8 and 32, beside pgbench
//     running the statements the endpoint runs per delivery (pgbench/*.sql);
//  2. the stuck-payouts page at concurrency 8, beside its bare SQL;
//  3. day-end reconciliation of a million payouts (store.Reconcile), load
//     and compare phases, beside a bare FULL OUTER JOIN;
//  4. the stale re-check job over 10,000 stuck payouts against the sandbox
//     limited to 500 requests a second;
//  5. serve's peak RSS during 1 and 2;
//  6. finding a payout: the search page for each kind of identifier and the
//     filtered list at concurrency 8, each index they use dropped in turn,
//     and payouts.csv of every payout beside a bare COPY of its query;
//  7. the /metrics scrape at concurrency 8 on benchmark 2's database
//     (issue #16);
//  8. with -scale (issue #19), one database of that many payouts with a
//     year of their history: the stuck page, the searches and lists of 6,
//     reconciliation of a million-payout day among them, webhook
//     ingestion at 8 concurrent, and the database's size, each beside its
//     one-million figure.
//
// It is a program, not a go test benchmark: what it measures is the real
// binary, run as a child process (so its peak RSS can be read from /proc),
// driven over HTTP and sign-in like a user, with pgbench beside it, and it
// reports one table of its own; go test would hold back its output and
// time operations it does not run. Its tests (make test) check that the
// pgbench scripts still run what the endpoint runs, and that benchmark 6's
// seeded identifiers find what the search box finds for them.
//
// Usage (from the repository's root; make bench builds bin/payops first):
//
//	go run ./bench [-payops bin/payops] [-out docs/BENCHMARKS.md] [-only 1,3] [-duration 20s] [-note TEXT] [-keep]
//	    [-scale 10m]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"payops/store"
)

type config struct {
	bin, out, pgdir, work string
	prev                  string // the report as the last run wrote it (-out), for benchmark 8's one-million figures
	payouts               int
	scale                 int // payouts in benchmark 8's database; 0 runs no benchmark 8
	duration, warmup      time.Duration
	only                  []string
	note                  string
	keep                  bool
}

func main() {
	var c config
	var only, scale string
	flag.StringVar(&c.bin, "payops", "bin/payops", "the payops binary to run")
	flag.StringVar(&c.out, "out", "docs/BENCHMARKS.md", "where to write the report (with -only, only when given)")
	flag.StringVar(&c.pgdir, "pgdir", ".data/bench-postgres", "the bench cluster's data folder")
	flag.StringVar(&c.work, "work", ".data/bench", "where serve's logs and pgbench's scripts and logs go")
	flag.IntVar(&c.payouts, "payouts", 1_000_000, "payouts in each benchmark's database")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long each load is measured")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "load before each measurement, not measured")
	flag.StringVar(&only, "only", "", "run only these benchmarks, such as 1,3")
	flag.BoolVar(&c.keep, "keep", false, "leave each benchmark's database in the cluster at its end, to look at with psql")
	flag.StringVar(&c.note, "note", "", "a line for the report about the run, such as what else the machine was doing")
	flag.StringVar(&scale, "scale", "", "also run benchmark 8 on a database of this many payouts, such as 10m")
	flag.Parse()
	var err error
	if c.scale, err = parseScale(scale); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	c.prev = c.out
	if only != "" {
		c.only = strings.Split(only, ",")
		if c.want("8") && c.scale == 0 {
			fmt.Fprintln(os.Stderr, "bench: benchmark 8 needs -scale, such as -scale 10m")
			os.Exit(2)
		}
		// Part of the benchmarks is no report for docs/, unless asked for.
		out := c.out
		c.out = ""
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "out" {
				c.out = out
			}
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (c config) want(b string) bool { return len(c.only) == 0 || slices.Contains(c.only, b) }

func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, c config) error {
	var err error
	if c.bin, err = filepath.Abs(c.bin); err != nil {
		return err
	}
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("%w (make bench builds it)", err)
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	r := &report{started: time.Now()}
	load := loadAverage()
	cl, err := startCluster(c.pgdir)
	if err != nil {
		return err
	}
	defer cl.pg.Stop()
	cl.keep = c.keep
	pg, err := cl.settings(ctx)
	if err != nil {
		return err
	}
	pgbenchBin := filepath.Join(cl.pg.BinDir, "pgbench")
	pgbenchVersion, err := exec.Command(pgbenchBin, "--version").Output()
	if err != nil {
		return fmt.Errorf("pgbench: %w", err)
	}
	r.setup = append(r.setup, "Machine: "+machine()+".",
		pg+"; "+strings.TrimSpace(string(pgbenchVersion))+".",
		fmt.Sprintf("Go %s; payops built from this tree (`bin/payops`), run as `payops serve` in a process of its own.", strings.TrimPrefix(runtime.Version(), "go")),
		fmt.Sprintf("Load average when the run began: %s (%d cores).", load, runtime.NumCPU()))
	if c.note != "" {
		r.setup = append(r.setup, c.note)
	}
	say("cluster up: %s", pg)

	if err := checkScriptsOn(ctx, cl); err != nil {
		return err
	}
	var rss1, rss2 int64
	if c.want("1") {
		if rss1, err = benchWebhooks(ctx, c, cl, r, pgbenchBin); err != nil {
			return fmt.Errorf("benchmark 1: %w", err)
		}
	}
	if c.want("2") || c.want("4") || c.want("7") {
		if rss2, err = benchStuckAndRecheck(ctx, c, cl, r); err != nil {
			return err
		}
	}
	if c.want("3") {
		if err := benchRecon(ctx, c, cl, r); err != nil {
			return fmt.Errorf("benchmark 3: %w", err)
		}
	}
	if c.want("6") {
		if err := benchFind(ctx, c, cl, r); err != nil {
			return fmt.Errorf("benchmark 6: %w", err)
		}
	}
	if c.scale > 0 && c.want("8") {
		if err := benchScale(ctx, c, cl, r); err != nil {
			return fmt.Errorf("benchmark 8: %w", err)
		}
	}
	if c.want("5") && c.want("1") && c.want("2") {
		r.add("5 Peak memory of payops serve", "peak RSS (VmHWM) during 1", mib(rss1))
		r.add("5 Peak memory of payops serve", "peak RSS (VmHWM) during 2", mib(rss2))
		r.describe(5, "**Peak memory.** `VmHWM` from `/proc/PID/status` of the `payops serve` child process, read at the end of "+
			"benchmark 1 (both concurrency levels) and of benchmark 2; each benchmark has a serve process of its own, started fresh.")
	}
	r.setup = append(r.setup, fmt.Sprintf("Load average when it ended: %s. The run took %s.", loadAverage(), time.Since(r.started).Round(time.Second)))
	say("took %s", time.Since(r.started).Round(time.Second))
	fmt.Println()
	for _, s := range r.setup {
		fmt.Println(s)
	}
	fmt.Println()
	r.table(os.Stdout)
	// Also the run's whole report, how each figure was had too, where
	// a part of the benchmarks run with -only can be read.
	last := filepath.Join(c.work, "report.md")
	if err := writeReport(r, last); err != nil {
		return err
	}
	if c.out == "" {
		say("the report with how each figure was had: %s", last)
		return nil
	}
	if err := writeReport(r, c.out); err != nil {
		return err
	}
	say("written to %s", c.out)
	return nil
}

// writeReport writes r's document to path.
func writeReport(r *report, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r.document(f)
	return f.Close()
}

// checkScriptsOn runs checkScripts on a small database of its own.
func checkScriptsOn(ctx context.Context, cl *cluster) error {
	const name = "bench_check"
	st, err := cl.freshDB(ctx, name)
	if err != nil {
		return err
	}
	defer cl.dropDB(ctx, name)
	defer st.Close()
	if err := seed(ctx, st.DB(), shape{n: 1000, inFlight: true}); err != nil {
		return err
	}
	if err := checkScripts(ctx, cl.dsn(name), 1000); err != nil {
		return err
	}
	say("pgbench scripts checked: they run what POST /webhooks/sandbox runs for a new, a duplicate and a stale webhook")
	return nil
}

// seeded makes database name with n payouts of shape s.
func seeded(ctx context.Context, cl *cluster, name string, s shape) (*store.Store, error) {
	st, err := cl.freshDB(ctx, name)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := seed(ctx, st.DB(), s); err != nil {
		st.Close()
		return nil, err
	}
	if err := foldCounts(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	say("%s: %s payouts seeded in %s", name, thousands(s.n), time.Since(began).Round(100*time.Millisecond))
	return st, nil
}

// foldCounts does what serve's fold job does within seconds of a change
// (the benchmarks run serve with its jobs off): the payout count deltas
// the seed's inserts wrote are folded into payout_counts, which the stuck
// list and /metrics read. The counts are then taken once from the payouts
// themselves (as migration 00029 did), since the scale seed loads payouts
// with the triggers off; the tables are vacuumed, as autovacuum would.
func foldCounts(ctx context.Context, st *store.Store) error {
	if _, err := st.FoldPayoutCounts(ctx); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM payout_counts`,
		`INSERT INTO payout_counts (status, provider, n) SELECT status, provider, count(*) FROM payouts WHERE livemode GROUP BY 1, 2`,
		`VACUUM ANALYZE payout_deltas, payout_counts`} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fold the payout counts: %w", err)
		}
	}
	return nil
}
