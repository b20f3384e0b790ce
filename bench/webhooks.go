package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"payops/payout"
	"payops/store"
)

// postWebhooks posts signed webhooks from ev to url with conc workers for
// warm+dur and measures the requests answered in the last dur, tagged with
// the outcome the endpoint answered. It returns how many answers were not
// 200.
func postWebhooks(ctx context.Context, url string, ev *events, conc int, warm, dur time.Duration) (window, int, error) {
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var firstErr error
	w, failed := hammer(ctx, conc, warm, dur, func(rnd *rand.Rand) (string, bool) {
		body, fresh, err := ev.pick(rnd)
		if err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
			return "", false
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-NxtB-Signature", ev.sign(body))
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		var res struct {
			Outcome string `json:"outcome"`
		}
		json.NewDecoder(resp.Body).Decode(&res)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if fresh && resp.StatusCode == http.StatusOK {
			ev.answered(body)
		}
		return res.Outcome, resp.StatusCode == http.StatusOK
	})
	return w, failed, firstErr
}

// pgbenchRun is one run of the pgbench scripts.
type pgbenchRun struct {
	dir      string // where the scripts and the logs go
	bin      string
	c        *cluster
	db       string
	conc     int
	first    int // the first in-flight payout index of the run's range
	size     int // how many in-flight payouts the range has
	payouts  int
	level    int // makes stale event ids of runs differ
	warm     time.Duration
	duration time.Duration
}

// Script weights: the same shares as the load generator's.
var scriptWeights = []struct {
	file   string
	weight int
	tag    string
}{
	{"new.sql", newShare, store.OutcomeApplied},
	{"duplicate.sql", duplicateShare, store.OutcomeDuplicate},
	{"stale.sql", 100 - newShare - duplicateShare, store.OutcomeStale},
}

// run ingests through the store one new event per client (the one each
// client's duplicates may repeat before it has made its own), runs pgbench
// for warm+duration, and measures the transactions that ended in the last
// duration from pgbench's per-transaction log, and the CPU time pgbench
// and the cluster used. It returns how many transactions failed.
func (r pgbenchRun) run(ctx context.Context, st *store.Store) (window, int, cpuUse, error) {
	at := time.Now().UTC()
	for c := range r.conc {
		g := inFlightG(r.first + c)
		body := webhookBody(g, "SUCCESS", fmt.Sprint(200_000_000_000+g), at)
		res, err := st.IngestWebhook(ctx, store.Delivery{Provider: "sandbox", Body: body, Payload: string(body)},
			store.WebhookEvent{ID: fmt.Sprint(1_000_000_000_000 + g), Type: "payout.success", ProviderPayoutID: providerPayoutID(g),
				ReferenceID: referenceID(g), Observation: payout.Observation{RawStatus: "SUCCESS", Status: payout.Succeeded,
					UTR: fmt.Sprint(200_000_000_000 + g), At: at}})
		if err != nil || res.Outcome != store.OutcomeApplied {
			return window{}, 0, cpuUse{}, fmt.Errorf("pgbench's first event for client %d: %s %v", c, res.Outcome, err)
		}
	}
	args := []string{"-n", "-M", "prepared", "-c", fmt.Sprint(r.conc), "-j", "2",
		"-T", fmt.Sprint(int((r.warm + r.duration + time.Second).Seconds())),
		"-l", "--log-prefix", filepath.Join(r.dir, fmt.Sprintf("pgbench-c%d", r.conc)),
		"-h", r.c.socket, "-p", fmt.Sprint(r.c.port), "-U", "postgres"}
	for _, s := range scriptWeights {
		b, err := scripts.ReadFile("pgbench/" + s.file)
		if err != nil {
			return window{}, 0, cpuUse{}, err
		}
		path := filepath.Join(r.dir, s.file)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return window{}, 0, cpuUse{}, err
		}
		args = append(args, "-f", fmt.Sprintf("%s@%d", path, s.weight))
	}
	vars, err := pgbenchVars(at)
	if err != nil {
		return window{}, 0, cpuUse{}, err
	}
	vars["start"], vars["clients"], vars["n"], vars["m"] = fmt.Sprint(r.first), fmt.Sprint(r.conc), "0", "0"
	vars["settled"] = fmt.Sprint(r.payouts / 10 * 5)
	vars["stale_base"] = fmt.Sprint(2_000_000_000_000 + r.level*1_000_000_000)
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	args = append(args, r.db)
	old, _ := filepath.Glob(filepath.Join(r.dir, fmt.Sprintf("pgbench-c%d.*", r.conc)))
	for _, f := range old {
		os.Remove(f)
	}
	meter, err := startCPU(r.c.pg.Dir, 0)
	if err != nil {
		return window{}, 0, cpuUse{}, err
	}
	cmd := exec.CommandContext(ctx, r.bin, args...)
	out, err := cmd.CombinedOutput()
	used, cerr := meter.stop()
	os.WriteFile(filepath.Join(r.dir, fmt.Sprintf("pgbench-c%d.out", r.conc)), out, 0o644)
	if err != nil {
		return window{}, 0, cpuUse{}, fmt.Errorf("pgbench -c %d: %w: %s", r.conc, err, lastLines(out, 10))
	}
	if cerr != nil {
		return window{}, 0, cpuUse{}, cerr
	}
	used.client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	samples, failed, err := r.readLogs()
	if err != nil {
		return window{}, 0, cpuUse{}, err
	}
	if len(samples) == 0 {
		return window{}, 0, cpuUse{}, fmt.Errorf("pgbench -c %d logged no transactions: %s", r.conc, lastLines(out, 10))
	}
	first := samples[0].end
	news := 0
	for _, s := range samples {
		if s.end.Before(first) {
			first = s.end
		}
		if s.tag == store.OutcomeApplied {
			news++
		}
	}
	if news+r.conc > r.size {
		return window{}, 0, cpuUse{}, fmt.Errorf("pgbench -c %d made %d new events, more than its %d in-flight payouts: seed more", r.conc, news, r.size)
	}
	if got, err := settledIn(ctx, st, r.first, r.first+r.size); err != nil || got != news+r.conc {
		return window{}, 0, cpuUse{}, fmt.Errorf("pgbench -c %d: %d payouts settled with their posting, want %d (%v)", r.conc, got, news+r.conc, err)
	}
	return measure(samples, first.Add(r.warm), r.duration), failed, used, nil
}

// readLogs reads the run's pgbench logs, each transaction tagged with the
// outcome its script stands for.
func (r pgbenchRun) readLogs() ([]sample, int, error) {
	return readPgbenchLogs(filepath.Join(r.dir, fmt.Sprintf("pgbench-c%d.[0-9]*", r.conc)), func(script int) (string, bool) {
		if script < 0 || script >= len(scriptWeights) {
			return "", false
		}
		return scriptWeights[script].tag, true
	})
}

// readPgbenchLogs reads the pgbench per-transaction logs matching glob:
// client, transaction, latency in µs (or "failed"), script, and when it
// ended (s, µs). tag names a script's transactions, false for none.
func readPgbenchLogs(glob string, tag func(script int) (string, bool)) ([]sample, int, error) {
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		return nil, 0, fmt.Errorf("no pgbench log %s: %v", glob, err)
	}
	var out []sample
	failed := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 6 {
				continue
			}
			lat, err1 := strconv.ParseInt(fields[2], 10, 64)
			script, _ := strconv.Atoi(fields[3])
			sec, _ := strconv.ParseInt(fields[4], 10, 64)
			usec, _ := strconv.ParseInt(fields[5], 10, 64)
			t, ok := tag(script)
			if err1 != nil || !ok {
				failed++
				continue
			}
			out = append(out, sample{end: time.Unix(sec, usec*1000), lat: time.Duration(lat) * time.Microsecond, tag: t})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, 0, err
		}
	}
	return out, failed, nil
}

// pgbenchVars are the values the scripts send where the endpoint sends a
// value of its own making: made by the same code where there is one (the
// outcome messages and audit details), else of the same form and size.
func pgbenchVars(at time.Time) (map[string]string, error) {
	body := webhookBody(inFlightG(0), "SUCCESS", fmt.Sprint(200_000_000_000+inFlightG(0)), at)
	headers, err := json.Marshal(map[string]string{"Content-Type": "application/json", "User-Agent": "Go-http-client/1.1",
		"X-Nxtb-Signature": strings.Repeat("5a", 32)})
	if err != nil {
		return nil, err
	}
	auditApplied, err := json.Marshal(map[string]any{"source": payout.SourceWebhook, "raw_status": "SUCCESS",
		"observed": payout.Succeeded, "from": payout.Processing, "to": payout.Succeeded, "decision": payout.Apply})
	if err != nil {
		return nil, err
	}
	auditStale, err := json.Marshal(map[string]any{"source": payout.SourceWebhook, "raw_status": "PROCESSING",
		"observed": payout.Processing, "from": payout.Succeeded, "to": payout.Succeeded, "decision": payout.Stale})
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"provider": "sandbox", "headers": string(headers), "body": string(body), "body_length": fmt.Sprint(len(body)),
		"yes": "true", "no": "false",
		"type_success": "payout.success", "type_processing": "payout.processing", "orphan": store.OutcomeOrphan,
		"event_succeeded": payout.EventPayoutSucceeded,
		"raw_success":     "SUCCESS", "succeeded": string(payout.Succeeded), "processing": string(payout.Processing),
		"ts":             at.Format(time.RFC3339Nano),
		"kind_succeeded": "succeeded", "payable": "payouts_payable", "settlement": "provider_settlement:sandbox",
		"debit": "debit", "credit": "credit", "webhook": string(payout.SourceWebhook), "observe": "payout.observe", "payout": "payout",
		"applied": store.OutcomeApplied, "duplicate": store.OutcomeDuplicate, "stale": store.OutcomeStale,
		"detail_applied":   payout.Outcome(payout.Apply, payout.Processing, payout.Succeeded, true),
		"detail_duplicate": "same event as delivery 1234567",
		"detail_stale":     payout.Outcome(payout.Stale, payout.Succeeded, payout.Processing, false),
		"audit_applied":    string(auditApplied), "audit_stale": string(auditStale),
		// apply's ledger posting of a succeeded payout, as arrays; the
		// amount is one value for every payout, of the same size (a
		// variable cannot be made an array in a script without a
		// statement more)
		"kinds_succeeded": "{succeeded}", "entry_kinds": "{succeeded,succeeded}",
		"entry_accounts": "{payouts_payable,provider_settlement:sandbox}", "entry_directions": "{debit,credit}",
		"entry_amounts": "{5005005,5005005}",
	}, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// levels are benchmark 1's concurrency levels.
var levels = []int{8, 32}

// benchWebhooks is benchmark 1. It returns serve's peak RSS.
func benchWebhooks(ctx context.Context, c config, cl *cluster, r *report, pgbenchBin string) (int64, error) {
	const name, bench = "bench_webhooks", "1 Webhook ingestion"
	st, err := seeded(ctx, cl, name, shape{n: c.payouts, inFlight: true})
	if err != nil {
		return 0, err
	}
	defer cl.done(ctx, name)
	defer st.Close()
	// The sandbox is configured with the secret the load generator signs
	// with; nothing calls its API here (jobs are off).
	p, err := serve(ctx, c.bin, cl.dsn(name), filepath.Join(c.work, "serve-webhooks.log"),
		map[string]string{"PAYOPS_JOBS": "off", "PAYOPS_SANDBOX_BASE_URL": "http://127.0.0.1:9",
			"PAYOPS_SANDBOX_WEBHOOK_SECRET": benchWebhookSecret})
	if err != nil {
		return 0, err
	}
	defer p.stop()
	say("benchmark 1: pgbench -i -s %d for the tpcb-like comparison", tpcbScale)
	if err := tpcbInit(ctx, cl, pgbenchBin); err != nil {
		return 0, err
	}
	defer cl.done(ctx, tpcbDB)
	// Seven runs, each settling in-flight payouts of its own, in ranges of
	// the in-flight payouts' indexes (30% of the seed) in units of a ninth:
	// payops at each level (one unit each), pgbench at each level (two
	// units each: with prepared statements it runs the endpoint's SQL at
	// about twice payops' rate), the outbox off and on (benchOutbox), and
	// payops with synchronous_commit on.
	unit := c.payouts / 10 * 3 / 9
	var mixes, cpus []string
	var tpcbFirst float64 // tpcb-like's transactions/s at the first level
	for li, level := range levels {
		ev := newEvents(benchWebhookSecret, c.payouts, li*unit, (li+1)*unit)
		say("benchmark 1: payops, %d concurrent, %s", level, c.warmup+c.duration)
		meter, err := startCPU(cl.pg.Dir, p.cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		running, done := p.watch(ctx)
		w, failed, err := postWebhooks(running, p.base+"/webhooks/sandbox", ev, level, c.warmup, c.duration)
		if err := done(); err != nil {
			return 0, err
		}
		if err != nil {
			return 0, err
		}
		used, err := meter.stop()
		if err != nil {
			return 0, err
		}
		if failed > 0 {
			return 0, fmt.Errorf("%d webhooks were not answered 200 at concurrency %d; see %s", failed, level, filepath.Join(c.work, "serve-webhooks.log"))
		}
		sent := int(ev.next.Load()) - li*unit
		if got, err := settledIn(ctx, st, li*unit, (li+1)*unit); err != nil || got != sent {
			return 0, fmt.Errorf("payops, %d concurrent: %d payouts settled with their posting, want %d (%v)", level, got, sent, err)
		}
		say("benchmark 1: pgbench, %d clients, %s", level, c.warmup+c.duration)
		pw, pfailed, pused, err := pgbenchRun{dir: c.work, bin: pgbenchBin, c: cl, db: name, conc: level, first: (2 + 2*li) * unit, size: 2 * unit,
			payouts: c.payouts, level: li, warm: c.warmup, duration: c.duration}.run(ctx, st)
		if err != nil {
			return 0, err
		}
		if pfailed > 0 {
			return 0, fmt.Errorf("%d pgbench transactions failed at -c %d", pfailed, level)
		}
		say("benchmark 1: pgbench tpcb-like, %d clients, %s", level, c.warmup+c.duration)
		tw, tused, err := tpcbRun(ctx, cl, pgbenchBin, c.work, level, c.warmup, c.duration, false)
		if err != nil {
			return 0, err
		}
		ratio, tpcb := w.perSec/pw.perSec, w.perSec/tw.perSec
		if li == 0 {
			tpcbFirst = tw.perSec
		}
		r.add(bench, fmt.Sprintf("payops, %d concurrent: deliveries/s", level), fmt.Sprintf("%.0f", w.perSec))
		r.add(bench, fmt.Sprintf("payops, %d concurrent: p99", level), ms(w.p99))
		r.add(bench, fmt.Sprintf("pgbench, %d clients: transactions/s", level), fmt.Sprintf("%.0f", pw.perSec))
		r.add(bench, fmt.Sprintf("pgbench, %d clients: p99", level), ms(pw.p99))
		r.goal(bench, fmt.Sprintf("payops/pgbench, %d", level), fmt.Sprintf("%.2f", ratio), "≥ 0.8", ratio >= 0.8)
		r.add(bench, fmt.Sprintf("pgbench tpcb-like, %d clients: transactions/s", level), fmt.Sprintf("%.0f", tw.perSec))
		r.goal(bench, fmt.Sprintf("payops/tpcb-like, %d", level), fmt.Sprintf("%.2f", tpcb), "≥ 1", tpcb >= 1)
		tags := []string{store.OutcomeApplied, store.OutcomeDuplicate, store.OutcomeStale}
		mixes = append(mixes, fmt.Sprintf("at %d: payops %s deliveries (%s; p50 %s), pgbench %s transactions (%s; p50 %s)",
			level, thousands(w.count), shares(w, tags...), ms(w.p50), thousands(pw.count), shares(pw, tags...), ms(pw.p50)))
		cpus = append(cpus, fmt.Sprintf("at %d, per delivery: serve %s, the load generator %s, PostgreSQL %s; per pgbench "+
			"transaction: pgbench %s, PostgreSQL %s; per tpcb-like transaction: pgbench %s, PostgreSQL %s", level,
			per(used.server, w.all), per(used.client, w.all), per(used.postgres, w.all),
			per(pused.client, pw.all), per(pused.postgres, pw.all), per(tused.client, tw.all), per(tused.postgres, tw.all)))
	}
	say("benchmark 1: the endpoint without its database, %d concurrent, %s", levels[0], c.warmup+c.duration)
	cw, err := benchCeiling(ctx, c, c.payouts, levels[0])
	if err != nil {
		return 0, err
	}
	r.add(bench, fmt.Sprintf("the endpoint without its database, %d concurrent: deliveries/s", levels[0]), fmt.Sprintf("%.0f", cw.perSec))
	r.add(bench, fmt.Sprintf("the endpoint without its database / tpcb-like, %d", levels[0]), fmt.Sprintf("%.2f", cw.perSec/tpcbFirst))
	outboxHow, err := benchOutbox(ctx, c, st, p, r, [2]int{6 * unit, 7 * unit}, [2]int{7 * unit, 8 * unit})
	if err != nil {
		return 0, err
	}
	rss, err := p.peakRSS()
	if err != nil {
		return 0, err
	}
	p.stop()
	if err := benchSyncCommit(ctx, c, cl, st, r, pgbenchBin, name, [2]int{8 * unit, 9 * unit}); err != nil {
		return 0, err
	}
	r.describe(1, fmt.Sprintf("**Webhook ingestion.** A database of %s sandbox payouts (30%% in flight, PROCESSING; 1%% stuck; the rest "+
		"settled), `payops serve` with `PAYOPS_JOBS=off`. A Go load generator in the bench process posts sandbox webhooks signed with "+
		"`X-NxtB-Signature`, shaped as the sandbox sends them, to `POST /webhooks/sandbox` from 8, then 32 workers, each as fast as "+
		"answers come: %d%% new (the SUCCESS webhook of an in-flight payout, applied, ledger posted), %d%% duplicates (a new one already "+
		"answered, again, byte for byte), the rest stale (a PROCESSING webhook for a SUCCEEDED payout). After each, pgbench (`-M prepared`, "+
		"as payops prepares these statements; `-j 2`) runs `bench/pgbench/{new,duplicate,stale}.sql` with the same weights and as many clients on the same "+
		"database: each script is the statements the endpoint runs for that kind of delivery, in one transaction (new: %d statements, "+
		"duplicate: %d, stale: %d, besides BEGIN and COMMIT), and bench checks them against the statements the endpoint sends before it "+
		"runs them; its values are of the same form and size, except event ids, numbers where the endpoint's are hashes of the body. "+
		"Each run: %s unmeasured, then %s measured; deliveries/s and transactions/s count what completed in the measured "+
		"%s, p99 is of those requests' (or transactions') latencies. The ratio is payops' deliveries/s over pgbench's transactions/s. "+
		"Then pgbench's built-in tpcb-like script (`-b tpcb-like -M prepared -j 2`, scale %d: its own tables in a database of their own "+
		"on the same cluster) from as many clients, measured the same way: the issue's goal is payops' deliveries/s at least its "+
		"transactions/s. "+
		"Measured mix %s. All deliveries were answered 200 and no pgbench transaction failed. payops' pool holds at most 20 "+
		"connections; pgbench has one per client. CPU time used over each whole run (from /proc; the machine has %d cores): %s. %s "+
		"Then the endpoint without its database: the webhook handler serve runs (signature, send time, JSON, its log line, the "+
		"answer) with a store that writes nothing, served by Go's HTTP server in the bench process, driven the same way at %d "+
		"concurrent — what benchmark 1 can reach at most on this machine whatever PostgreSQL does (serve's middleware left out). "+
		"Last, a fresh `payops serve` whose connections set `synchronous_commit=on` takes %d concurrent posts on in-flight payouts of "+
		"its own, and tpcb-like runs as many clients with `PGOPTIONS=-c synchronous_commit=on`; the cluster keeps fsync off, so this "+
		"measures each commit's wait for its WAL to be written, not a disk's flush.",
		thousands(c.payouts), newShare, duplicateShare, statementsIn("new.sql"), statementsIn("duplicate.sql"), statementsIn("stale.sql"), c.warmup, c.duration, c.duration, tpcbScale, strings.Join(mixes, "; "), runtime.NumCPU(), strings.Join(cpus, "; "), outboxHow, levels[0], outboxLevel))
	return rss, nil
}

// statementsIn counts a script's statements besides BEGIN and COMMIT.
func statementsIn(file string) int {
	b, _ := scripts.ReadFile("pgbench/" + file)
	return len(scriptStatements(string(b))) - 2
}

// settledIn counts the in-flight payouts of indexes [from, to) (inFlightG)
// that are SUCCEEDED with their ledger posting: the new webhooks applied.
func settledIn(ctx context.Context, st *store.Store, from, to int) (int, error) {
	var n int
	err := st.DB().GetContext(ctx, &n, `SELECT count(*) FROM payouts p
		WHERE p.id % 10 BETWEEN 1 AND 3 AND p.id / 10 * 3 + p.id % 10 - 1 >= $1 AND p.id / 10 * 3 + p.id % 10 - 1 < $2
			AND p.status = 'SUCCEEDED'
			AND EXISTS (SELECT 1 FROM ledger_postings l WHERE l.payout_id = p.id AND l.kind = 'succeeded')`, from, to)
	return n, err
}

// per is d over n, in milliseconds.
func per(d time.Duration, n int) string {
	return fmt.Sprintf("%.2f ms", d.Seconds()*1000/float64(max(n, 1)))
}
