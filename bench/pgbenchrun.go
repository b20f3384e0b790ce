package main

import (
	"github.com/lib/pq"

	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
)

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
	// What the endpoint sends as arrays, here of one element: constant
	// ones here, the rest made by each script from its variables (a
	// statement \gsetting arr_).
	arr := func(vs ...string) string {
		v, _ := pq.Array(vs).Value()
		return v.(string)
	}
	bodies, _ := pq.ByteaArray{body}.Value()
	applied := payout.Outcome(payout.Apply, payout.Processing, payout.Succeeded, true)
	stale := payout.Outcome(payout.Stale, payout.Succeeded, payout.Processing, false)
	return map[string]string{
		"providers": arr("sandbox"), "headerss": arr(string(headers)), "bodies": bodies.(string),
		"body_lengths": arr(fmt.Sprint(len(body))), "payloads": arr(string(body)),
		"trues": "{t}", "falses": "{f}", "empties": arr(""), "nulls": "{NULL}", "currencies": "{INR}", "currencies2": "{INR,INR}",
		"ats":           arr(at.Format(time.RFC3339Nano)),
		"types_success": arr("payout.success"), "types_processing": arr("payout.processing"),
		"events_succeeded": arr(payout.EventPayoutSucceeded),
		"raws_success":     arr("SUCCESS"), "succeededs": arr(string(payout.Succeeded)), "processings": arr(string(payout.Processing)),
		"webhooks": arr(string(payout.SourceWebhook)), "observes": arr("payout.observe"), "payouts": arr("payout"),
		"applieds": arr(store.OutcomeApplied), "duplicates": arr(store.OutcomeDuplicate), "stales": arr(store.OutcomeStale),
		"details_applied": arr(applied), "details_duplicate": arr("same event as delivery 1234567"),
		"details_stale": arr(stale), "audits_applied": arr(string(auditApplied)), "audits_stale": arr(string(auditStale)),
		// apply's ledger posting of a succeeded payout
		"kinds_succeeded": "{succeeded}", "entry_kinds": "{succeeded,succeeded}",
		"entry_accounts": "{payouts_payable,provider_settlement:sandbox}", "entry_directions": "{debit,credit}",
	}, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// statementsIn counts a script's statements besides BEGIN and COMMIT.
func statementsIn(file string) int {
	b, _ := scripts.ReadFile("pgbench/" + file)
	return len(scriptStatements(string(b))) - 2
}
