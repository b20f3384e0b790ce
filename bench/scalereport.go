package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// oneMillion finds the one-million figure beside which a benchmark 8
// figure is reported: from this run when its benchmark ran, else from the
// report of the last make bench (the -out file as it was), marked so.
type oneMillion struct {
	run, doc map[[2]string]string // by benchmark and figure
	docDate  string
	fromDoc  bool // a figure came from the report
}

func newOneMillion(r *report, path string) *oneMillion {
	o := &oneMillion{run: map[[2]string]string{}, doc: map[[2]string]string{}}
	for _, x := range r.rows {
		o.run[[2]string{x.bench, x.figure}] = x.value
	}
	f, err := os.Open(path)
	if err != nil {
		return o
	}
	defer f.Close()
	date := regexp.MustCompile(` on (\d{4}-\d\d-\d\d \d\d:\d\d UTC)`)
	bench := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := date.FindStringSubmatch(line); m != nil && o.docDate == "" {
			o.docDate = m[1]
		}
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) < 5 {
			continue
		}
		if b := strings.TrimPrefix(cells[0], "| "); b != "" {
			bench = b
		}
		o.doc[[2]string{bench, cells[1]}] = cells[2]
	}
	return o
}

// beside returns value with the figure at one million beside it, when
// there is one.
func (o *oneMillion) beside(value, bench, figure string) string {
	if v, ok := o.run[[2]string{bench, figure}]; ok {
		return fmt.Sprintf("%s (1M: %s)", value, v)
	}
	if v, ok := o.doc[[2]string{bench, figure}]; ok {
		o.fromDoc = true
		return fmt.Sprintf("%s (1M: %s*)", value, v)
	}
	return value
}

// scaleTitle names benchmark 8 by its scale.
func scaleTitle(n int) string {
	if n == 10_000_000 {
		return "8 Ten million"
	}
	return "8 " + thousands(n) + " payouts"
}

func gib(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }

func scaleReport(r *report, c config, sh scaleShape, res scaleResult) {
	bench := scaleTitle(sh.n)
	one := newOneMillion(r, c.prev)
	add := func(figure, value, b1, f1 string) {
		r.add(bench, figure, one.beside(value, b1, f1))
	}
	const b1, b2, b3, b6 = "1 Webhook ingestion", "2 Stuck-payouts page", "3 Day-end reconciliation", "6 Finding a payout"
	add("seeded in (payouts and a year of history)", res.seed.took.Round(time.Second).String(), "", "")
	add("history rows (events, audit, ledger, webhooks), as seeded", thousands(int(res.seed.history)), "", "")
	conc := fmt.Sprintf("%d concurrent", pageConc)
	add(fmt.Sprintf("stuck page p50, %s (%s stuck)", conc, thousands(res.stuck)), ms(res.page.p50), b2, "page p50, "+conc)
	add("stuck page p99, "+conc, ms(res.page.p99), b2, "page p99, "+conc)
	add("stuck pages/s, "+conc, fmt.Sprintf("%.0f", res.page.perSec), b2, "pages/s, "+conc)
	add("stuck bare SQL p50 / p99, "+conc, ms(res.bare.p50)+" / "+ms(res.bare.p99), b2, "bare SQL p50 / p99, "+conc)
	add("stuck bare SQL p50, one at a time", ms(res.alone.p50), b2, "bare SQL p50, one at a time")
	for _, key := range measuredKeys() {
		w := res.find.with[key]
		figure := fmt.Sprintf("%s: p50 / p99, %s", keyLabel(key), conc)
		add(figure, ms(w.p50)+" / "+ms(w.p99), b6, figure)
	}
	rc := res.recon
	add(fmt.Sprintf("day of %s: match and compare", thousands(sh.day)), secs(rc.compare), b3, "match and compare (differences, totals)")
	add("day: store records, differences, totals", secs(rc.store), b3, "store records, differences, totals")
	add("day: Reconcile in all", secs(rc.total), b3, "Reconcile in all")
	add("day: bare FULL OUTER JOIN (the day's payouts among the rest)", secs(rc.bare), b3, "bare FULL OUTER JOIN")
	add("day: Reconcile / bare join", fmt.Sprintf("%.1f×", rc.total.Seconds()/rc.bare.Seconds()), b3, "Reconcile / bare join")
	add("webhooks, 8 concurrent: deliveries/s", fmt.Sprintf("%.0f", res.ingest.perSec), b1, "payops, 8 concurrent: deliveries/s")
	add("webhooks, 8 concurrent: p99", ms(res.ingest.p99), b1, "payops, 8 concurrent: p99")
	add("database size (pg_database_size), as seeded", gib(res.dbSize), "", "")
	for _, t := range res.tables {
		what := t.Name
		if t.Parts > 0 {
			what += fmt.Sprintf(" (%d partitions)", t.Parts)
		}
		add(what+": table / indexes, rows", fmt.Sprintf("%s / %s, %s", gib(t.Table), gib(t.Indexes), thousands(int(t.Rows))), "", "")
	}
	r.describe(8, scaleHow(c, sh, res, one))
}

// scaleHow says how benchmark 8's figures were had.
func scaleHow(c config, sh scaleShape, res scaleResult, one *oneMillion) string {
	var values []string
	for _, k := range findKinds {
		values = append(values, fmt.Sprintf("%s %s", k.label, thousands(res.find.values[k.key])))
	}
	ref := "The one-million figure beside each is benchmark 1's, 2's, 3's or 6's in this run."
	if one.fromDoc {
		ref = fmt.Sprintf("The one-million figures marked * are from the make bench run of %s recorded in %s before this "+
			"run, not from this one (only benchmark 8 ran).", one.docDate, c.prev)
	}
	return fmt.Sprintf("**%s payouts** (`-scale`, `make bench BENCH_SCALE=10m`; goals not asserted). One database, seeded once "+
		"(`bench/scaleseed.go`, %s on this machine: %s) and used by every figure: %s payouts created evenly over the last "+
		"365 days, shaped as benchmark 6's (razorpayx, nxtbanking, paywize, xendit; SUCCEEDED 93.8%%, FAILED 5%%, REVERSED "+
		"0.7%%, CANCELLED 0.5%%; UTRs, fees, %s beneficiaries); %s of benchmark 1's sandbox payouts changed in the last two "+
		"days (%s in flight, inserted last); `pgtest.NewBigDay`'s day of %s payouts (2026-11-20) among them; %s stuck "+
		"(1%%: PROCESSING, last change 15 minutes to 47 hours ago, spread over the ids as benchmark 2's). Their history, "+
		"each month in its partition (every month of the year made first by `store.MakePartitions`; the default "+
		"partitions checked empty): the submission, outcome and reversal of each payout in `payout_events`, its creation "+
		"and each observation in `audit_log`, ledger postings and their balanced entries for every outcome, a webhook "+
		"delivery and its event for every settled razorpayx payout and one in four of the others' (5%% delivered twice; "+
		"the events' `delivery_id` is not linked). Loaded with triggers off by set-based `INSERT ... SELECT`, two "+
		"statements at a time, the indexes that back no constraint dropped first and made again from their own "+
		"definitions (on every month), then `VACUUM ANALYZE` (again where the visibility map was not all set). "+
		"**Stuck page**: as benchmark 2, %d workers, %s unmeasured then %s measured, on a serve with `PAYOPS_JOBS=off`; "+
		"the bare SQL is `store.StuckPayouts` from %d workers then one. **Search and lists**: as benchmark 6 on the "+
		"same serve (%s unmeasured, %s measured each; values drawn by `TABLESAMPLE`: %s). **Reconciliation**: "+
		"`store.Reconcile` of the day against its %s provider records (%s differences, all found); the bare join is "+
		"the day's payouts, selected as Reconcile selects them (provider, live, sent that day) among all "+
		"the others, `FULL OUTER JOIN` the records. **Webhooks**: benchmark 1's load generator at 8 concurrent on "+
		"the sandbox payouts, %s unmeasured then %s measured (mix %s; %s new webhooks applied, each checked "+
		"settled with its posting). Sizes are `pg_database_size` and, per table with its partitions, "+
		"`pg_table_size` (with TOAST) and `pg_indexes_size`, rows from the statistics, right after the seed. %s",
		thousands(sh.n), res.seed.took.Round(time.Second), strings.Join(res.seed.steps, ", "),
		thousands(sh.seeded()-sh.region), thousands(sh.beneficiaries()), thousands(sh.region), thousands(sh.inFlight()),
		thousands(sh.day), thousands(res.stuck), pageConc, c.warmup, c.duration, pageConc, res.find.warm, res.find.dur,
		strings.Join(values, ", "), thousands(sh.day), thousands(res.recon.diffs), c.warmup, c.duration, res.ingestMix,
		thousands(res.sentNew), ref)
}
