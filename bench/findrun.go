package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// findResult is benchmark 6's measure.
type findResult struct {
	seeded  time.Duration
	values  map[string]int      // search values drawn, by kind
	found   map[string][]string // what a few listing searches found
	with    map[string]window   // by kind, "list", "updated"
	cpu     map[string]cpuUse   // over the whole of each of those
	others  time.Duration       // CPU the machine's other processes used meanwhile
	wall    time.Duration       // how long those measurements took
	without []without
	export  exportResult
	warm    time.Duration
	dur     time.Duration
}

// benchFind is benchmark 6: the search page for each kind of identifier,
// the filtered list and the list by last change, each at pageConc; each
// index the pages use dropped in turn and the pages measured again; then
// payouts.csv of every payout beside a bare COPY of its query.
func benchFind(ctx context.Context, c config, cl *cluster, r *report) error {
	const name = "bench_find"
	st, err := cl.freshDB(ctx, name)
	if err != nil {
		return err
	}
	defer cl.done(ctx, name)
	defer st.Close()
	res := findResult{warm: c.warmup / 3, dur: c.duration / 4, with: map[string]window{}, cpu: map[string]cpuUse{},
		values: map[string]int{}}
	began := time.Now()
	say("benchmark 6: seeding %s payouts", thousands(c.payouts))
	if err := seedFind(ctx, st.DB(), c.payouts); err != nil {
		return err
	}
	res.seeded = time.Since(began)
	ps, err := probes(ctx, st.DB(), c.payouts)
	if err != nil {
		return err
	}
	p, client, err := findServe(ctx, c, cl.dsn(name), "find", pageConc)
	if err != nil {
		return err
	}
	defer p.stop()
	if res.found, err = checkSearches(client, p.base, ps); err != nil {
		return err
	}
	targets := map[string]pageTarget{"list": listTarget(p.base), "updated": byUpdatedTarget(p.base)}
	for _, k := range findKinds {
		targets[k.key] = searchTarget(p.base, ps[k.key])
		res.values[k.key] = len(ps[k.key])
	}
	running, done := p.watch(ctx)
	err = res.measure(running, cl.pg.Dir, p, client, targets, measuredKeys())
	if err == nil {
		res.without, err = withoutEach(running, st.DB(), client, targets, res.warm, res.dur)
	}
	if err := done(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	p.stop()
	say("benchmark 6: payouts.csv of %s payouts beside a bare COPY, 3 rounds", thousands(c.payouts))
	if res.export, err = runExport(ctx, c, cl, name, 3); err != nil {
		return err
	}
	findReport(r, c, res)
	return nil
}

// measure gets each of targets' pages in turn, measuring the CPU time
// serve, PostgreSQL and this process used for it.
func (res *findResult) measure(ctx context.Context, pgdir string, p *payops, client *http.Client,
	targets map[string]pageTarget, keys []string) error {
	for _, key := range keys {
		say("benchmark 6: %s, %d concurrent, %s", key, pageConc, res.warm+res.dur)
		meter, err := startCPU(pgdir, p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		began, busy := time.Now(), machineBusy()
		if res.with[key], err = getTarget(ctx, client, targets[key], pageConc, res.warm, res.dur); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		u, err := meter.stop()
		if err != nil {
			return err
		}
		res.cpu[key] = u
		res.others += max(0, machineBusy()-busy-u.server-u.client-u.postgres)
		res.wall += time.Since(began)
	}
	return nil
}

// machineBusy is the CPU time the machine's cores have spent on anything
// but idling, from /proc/stat; 0 when it cannot be read.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var ticks int64
	for i, v := range f {
		if i == 0 || i == 4 || i == 5 || i > 8 {
			continue
		}
		t, _ := strconv.ParseInt(v, 10, 64)
		ticks += t
	}
	return time.Duration(ticks) * clockTick
}

// measuredKeys are the pages measured, in order: the search by each kind,
// the filtered list, the list by last change.
func measuredKeys() []string {
	var keys []string
	for _, k := range findKinds {
		keys = append(keys, k.key)
	}
	return append(keys, "list", "updated")
}

// keyLabel names a measurement for the table.
func keyLabel(key string) string {
	switch key {
	case "list":
		return fmt.Sprintf("list, status + provider + %d days", listDays)
	case "updated":
		return "list by last change (sort=updated)"
	}
	for _, k := range findKinds {
		if k.key == key {
			return "search by " + k.label
		}
	}
	return key
}

func findReport(r *report, c config, res findResult) {
	const bench = "6 Finding a payout"
	for _, k := range findKinds {
		w := res.with[k.key]
		r.goal(bench, fmt.Sprintf("%s: p50 / p99, %d concurrent", keyLabel(k.key), pageConc),
			ms(w.p50)+" / "+ms(w.p99), "p99 < 20 ms", w.p99 < 20*time.Millisecond)
	}
	w := res.with["list"]
	r.goal(bench, fmt.Sprintf("%s: p50 / p99, %d concurrent", keyLabel("list"), pageConc), ms(w.p50)+" / "+ms(w.p99),
		"p99 < 50 ms", w.p99 < 50*time.Millisecond)
	w = res.with["updated"]
	r.add(bench, fmt.Sprintf("%s: p50 / p99, %d concurrent", keyLabel("updated"), pageConc), ms(w.p50)+" / "+ms(w.p99))
	for _, wo := range res.without {
		r.add(bench, fmt.Sprintf("without %s: %s p99 (with it)", wo.index, strings.TrimPrefix(keyLabel(wo.key), "search by ")),
			fmt.Sprintf("%s (%s)", withoutP99(wo.w, res.dur), ms(res.with[wo.key].p99)))
	}
	ex := res.export
	csv, bare := median(ex.csv), median(ex.copy)
	ratio := csv.Seconds() / bare.Seconds()
	r.add(bench, fmt.Sprintf("payouts.csv, %s payouts (median of %d)", thousands(c.payouts), len(ex.csv)), secs(csv))
	r.add(bench, "bare COPY of its SELECT through psql (median)", secs(bare))
	r.goal(bench, "payouts.csv / bare COPY", fmt.Sprintf("%.2f×", ratio), "< 2×", ratio < 2)
	r.goal(bench, "serve's peak RSS (VmHWM) during the CSV", mib(ex.peakRSS), "< 100 MiB", ex.peakRSS < 100<<20)
	r.describe(6, findHow(c, res))
}

// withoutP99 is a measurement's p99 without its index; when no answer came
// within the dur measured (each took longer), how long the slowest took.
func withoutP99(w window, dur time.Duration) string {
	if w.all == 0 {
		return "none answered"
	}
	if w.count == 0 {
		return fmt.Sprintf("none within the %s measured; slowest %s", dur, ms(w.slowest))
	}
	return ms(w.p99)
}

// findHow says how benchmark 6's figures were had.
func findHow(c config, res findResult) string {
	var values, found, cpu []string
	for _, k := range findKinds {
		values = append(values, fmt.Sprintf("%s %s", k.label, thousands(res.values[k.key])))
	}
	for _, key := range []string{"name", "last4", "amount"} {
		found = append(found, res.found[key]...)
	}
	for _, key := range measuredKeys() {
		u, n := res.cpu[key], res.with[key].all
		cpu = append(cpu, fmt.Sprintf("%s %s, %s, %s (%s pages)", strings.TrimPrefix(keyLabel(key), "search by "),
			per(u.postgres, n), per(u.server, n), per(u.client, n), thousands(res.with[key].count)))
	}
	var csvs, copies []string
	for i := range res.export.csv {
		csvs = append(csvs, secs(res.export.csv[i]))
		copies = append(copies, secs(res.export.copy[i]))
	}
	return fmt.Sprintf("**Finding a payout.** A database of %s payouts as half a year of a payout service leaves them "+
		"(`bench/findseed.go`, seeded in %s, the same data every run): five providers, 93%% SUCCEEDED, 5%% FAILED, "+
		"amounts log-uniform with 40%% of them round, UTRs on settled INR payouts (IMPS, NEFT and RTGS shapes), %s "+
		"beneficiaries named from 4,096 names with random account numbers, a webhook delivery and its event for about half "+
		"the payouts (RazorpayX's with `X-Razorpay-Event-Id`), ledger postings for every outcome. `payops serve` with "+
		"`PAYOPS_JOBS=off`; an ops user made with `payops user add` signs in through the form; %d workers get pages "+
		"as fast as answers come, %s unmeasured, then %s measured, each kind on its own. A search draws its text at "+
		"random for each request from values taken from the seeded data by `TABLESAMPLE` (%s): an identifier must be "+
		"answered 303 to its payout (the redirect is not followed: the time is the search's own), the others 200, the "+
		"list read to its end (a few of them and what the page counted: %s). The list draws a status (FAILED, "+
		"SUCCEEDED, REVERSED, CANCELLED, PROCESSING), a provider and a week of the half year at random for each "+
		"request; the list by last change has no filter. CPU time a page (PostgreSQL, serve, the load generator, "+
		"over warm-up and measurement): %s; meanwhile the machine's other processes used %.2f of its %d cores on "+
		"average. **What each index buys**: each index of migrations 00019 and 00022 "+
		"dropped in turn on the same database, the pages it is for measured again the same way, and the index "+
		"created again as it was (then ANALYZE); the table gives p99 without it and, in brackets, with it (a page "+
		"that passes serve's 15 s deadline is answered 503 then, and counts at the time it took). "+
		"**payouts.csv**: a `payops serve` of its own, three rounds of `GET /payouts.csv` (every payout, read to its "+
		"end, %s lines with the header, %.0f MB) each followed by psql running `COPY (SELECT ...) TO STDOUT` of "+
		"`store.PayoutExportSQL`'s query into /dev/null, connecting included: CSV %s, COPY %s; the ratio is of the "+
		"medians. The peak RSS is that serve's `VmHWM` after the three downloads.",
		thousands(c.payouts), res.seeded.Round(time.Second), thousands(c.payouts/5), pageConc, res.warm, res.dur,
		strings.Join(values, ", "), strings.Join(found, "; "), strings.Join(cpu, "; "),
		res.others.Seconds()/max(res.wall.Seconds(), 1), runtime.NumCPU(), thousands(c.payouts+1),
		float64(res.export.bytes)/1e6, strings.Join(csvs, ", "), strings.Join(copies, ", "))
}
