package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"payops/drill"
	"payops/payout"
	"payops/store"
)

const drillUsage = "usage: payops drill --token T [--scenario S] [--market M] [--payouts N] [--url U] [--wait D] | " +
	"payops drill --supervise [--scenario S] [--market M] [--payouts N] [--sandbox-addr A] [--wait D] [--logs DIR]"

// cmdDrill runs one failure drill. Against a running payops (--url, with a
// drills token) it asks payops to run it, with the same runner as the
// dashboard's /drills, and follows it to its report. With --supervise it
// runs payops itself on DATABASE_URL (what make drill does). It fails when a
// must-be-zero figure is not zero, or says at once what stops the drill.
func cmdDrill(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scenario := fs.String("scenario", "all-of-them", "the scenario")
	market := fs.String("market", drill.DefaultMarket, "the market (ISO country) of the drill's payouts")
	payouts := fs.Int("payouts", 200, "how many payouts")
	payopsURL := fs.String("url", "http://127.0.0.1:8080", "payops' address")
	token := fs.String("token", getenv("PAYOPS_DRILL_TOKEN"), "a payops API token of scope drills (or PAYOPS_DRILL_TOKEN)")
	sandboxAddr := fs.String("sandbox-addr", "127.0.0.1:0", "with --supervise, where the drill's sandbox provider listens")
	wait := fs.Duration("wait", 5*time.Minute, "how long payops may take to converge")
	logs := fs.String("logs", os.TempDir(), "with --supervise, the folder for the instances' logs")
	supervise := fs.Bool("supervise", false, "run payops itself on DATABASE_URL: crashed twice with SIGKILL, two instances for a while (make drill)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *payouts < 1 {
		return fmt.Errorf("%s\n  scenarios: %s", drillUsage, strings.Join(drill.Names(), ", "))
	}
	if *token == "" && !*supervise {
		return fmt.Errorf("payops drill needs --token or PAYOPS_DRILL_TOKEN: an API token of scope drills " +
			"(payops token create --name NAME --scope drills), or --supervise to run payops itself on DATABASE_URL")
	}
	*market = strings.ToUpper(*market)
	if err := drill.CheckMarket(*market); err != nil {
		return fmt.Errorf("--market %q: %v", *market, err)
	}
	if _, ok := drill.Scenarios[*scenario]; !ok {
		return fmt.Errorf("unknown scenario %q: one of %s", *scenario, strings.Join(drill.Names(), ", "))
	}
	if *supervise {
		return superviseDrill(ctx, getenv, *scenario, *market, *payouts, *sandboxAddr, *wait, *logs, stdout, log)
	}
	return drillThroughAPI(ctx, strings.TrimRight(*payopsURL, "/"), *token, *scenario, *market, *payouts, *wait,
		stdout, log)
}

// drillView is a drill as GET /api/v1/drills/{id} answers it.
type drillView struct {
	ID     int64           `json:"id"`
	State  string          `json:"state"`
	Phase  string          `json:"phase"`
	Done   int             `json:"done"`
	Total  int             `json:"total"`
	Error  string          `json:"error"`
	Report json.RawMessage `json:"report"`
}

// drillThroughAPI asks the payops at base to run a drill and follows it
// until its report, printing progress; what payops refuses, it says.
func drillThroughAPI(ctx context.Context, base, token, scenario, market string, payouts int, wait time.Duration,
	stdout io.Writer, log *slog.Logger) error {
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, path string, body []byte) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, b, err
	}
	body, _ := json.Marshal(map[string]any{"scenario": scenario, "market": market, "payouts": payouts,
		"wait": wait.String()})
	code, b, err := call("POST", "/api/v1/drills", body)
	if err != nil {
		return fmt.Errorf("payops is not reachable at %s (%v): start it (make run, or payops serve) or pass --url", base, err)
	}
	if code != http.StatusAccepted {
		var e struct {
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		}
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			return fmt.Errorf("payops at %s answered %d: %.200s (is --url a payops?)", base, code, b)
		}
		for f, m := range e.Fields {
			e.Message += "; " + f + ": " + m
		}
		return fmt.Errorf("payops refused the drill (%d): %s", code, e.Message)
	}
	var d drillView
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("payops' answer to starting the drill: %w", err)
	}
	log.Info("drill started", "id", d.ID, "scenario", scenario, "market", market, "payouts", payouts, "follow", base+"/drills/"+strconv.FormatInt(d.ID, 10))
	last, failing := "", time.Time{}
	for d.State == store.DrillRunning {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		code, b, err := call("GET", "/api/v1/drills/"+strconv.FormatInt(d.ID, 10), nil)
		if err == nil && code == http.StatusOK {
			err = json.Unmarshal(b, &d)
		} else if err == nil {
			err = fmt.Errorf("%d %.200s", code, b)
		}
		if err != nil {
			// payops may be restarting: it marks the drill interrupted.
			if failing.IsZero() {
				failing = time.Now()
			}
			if time.Since(failing) > time.Minute {
				return fmt.Errorf("lost payops at %s while following drill %d: %v", base, d.ID, err)
			}
			continue
		}
		failing = time.Time{}
		if now := fmt.Sprintf("%s %d of %d", d.Phase, d.Done, d.Total); now != last {
			last = now
			log.Info("drill", "phase", d.Phase, "done", d.Done, "of", d.Total)
		}
	}
	if len(d.Report) > 0 {
		var rep drill.Report
		if err := json.Unmarshal(d.Report, &rep); err != nil {
			return fmt.Errorf("drill %d's report: %w", d.ID, err)
		}
		rep.Write(stdout)
	}
	switch {
	case d.State == store.DrillPassed:
		return nil
	case d.Error != "":
		return fmt.Errorf("drill %d %s: %s", d.ID, d.State, d.Error)
	default:
		return fmt.Errorf("drill %d %s: a must-be-zero figure is not zero", d.ID, d.State)
	}
}

// superviseDrill runs payops itself on DATABASE_URL as child processes
// behind a front, with the drill provider in this process (so it outlives
// the instances it crashes): the sandbox signs with a secret made for this
// drill, passed to the instances, and the payouts go in under a test token
// made for it and revoked after.
func superviseDrill(ctx context.Context, getenv func(string) string, scenario, market string, payouts int,
	sandboxAddr string, wait time.Duration, logs string, stdout io.Writer, log *slog.Logger) error {
	cfg, _ := loadConfig(getenv)             // only the database and the sandbox part matter here
	cfg.Sandbox.Seed = time.Now().UnixNano() // fates differ from drill to drill
	if cfg.DatabaseURL == "" {
		return errors.New("payops drill --supervise runs payops on DATABASE_URL: set it")
	}
	st, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	payopsURL := "http://" + front.Addr().String()
	tokenName := "drill-" + strconv.FormatInt(time.Now().UnixMilli(), 36)
	token, err := store.NewToken()
	if err == nil {
		_, err = st.CreateToken(ctx, store.TokenSpec{Name: tokenName, Scope: payout.ScopeTest, RatePerSecond: drill.TokenRate,
			By: "payops drill"}, token)
	}
	if err != nil {
		return err
	}
	defer func() {
		if _, err := st.RevokeToken(context.WithoutCancel(ctx), tokenName, "payops drill"); err != nil {
			log.Error("drill token not revoked", "token", tokenName, "err", err)
		}
	}()
	chaos := drill.Scenarios[scenario]
	secret := randomHex(32)
	sb := cfg.Sandbox.newSandbox(payopsURL+"/webhooks/"+payout.DrillProvider, secret, 2*time.Second, &chaos, log)
	sandboxURL, stopSandbox, err := serveOn(ctx, sandboxAddr, sb)
	if err != nil {
		return fmt.Errorf("drill sandbox: %w", err)
	}
	defer stopSandbox()

	rc, endpointID, stopReceiver, err := drillReceiver(ctx, st)
	if err != nil {
		return err
	}
	defer stopReceiver()

	var created atomic.Int64
	var converging atomic.Bool
	since := time.Now()
	prefix := "DR" + strconv.FormatInt(time.Now().UnixMilli(), 36)
	dc := drill.Config{Scenario: scenario, Market: market, PayopsURL: payopsURL, Token: token, Sandbox: sb, Payouts: payouts,
		Prefix: prefix, Wait: wait,
		ForgedAccepted: func(ctx context.Context) (int, error) { return st.ForgedAccepted(ctx, payout.DrillProvider, since) },
		AmountCases: func(ctx context.Context, refs []string) (map[string]int, error) {
			return st.CaseCountsByRef(ctx, payout.CaseAmountMismatch, refs)
		},
		// No provider is configured in this process: every payout is
		// classified by its provider's own table (the drill's, the sandbox's).
		ScanExceptions: func(ctx context.Context) error {
			_, err := st.ScanExceptions(ctx, classifyFailure(nil))
			return err
		},
		Cases: st.CaseCountsByRef,
		Progress: func(p drill.Progress) {
			if p.Phase == "creating" {
				created.Store(int64(p.Done))
			} else {
				converging.Store(true)
			}
			if p.Done == p.Total || p.Done%100 == 0 {
				log.Info("drill", "phase", p.Phase, "done", p.Done, "of", p.Total)
			}
		}}
	fl := newFleet([]string{"DATABASE_URL=" + cfg.DatabaseURL, "PAYOPS_SESSION_KEY=" + randomHex(32),
		"PAYOPS_DRILL_SANDBOX_URL=" + sandboxURL, "PAYOPS_DRILL_WEBHOOK_SECRET=" + secret,
		"PAYOPS_RECHECK_SCHEDULE=@every 5s", "PAYOPS_RECHECK_AFTER=5s",
		"PAYOPS_SETTLED_RECHECK_WINDOW=10m", "PAYOPS_SUBMIT_RETRY_AFTER=2s", "PAYOPS_SUBMIT_WORKERS=16",
		"PAYOPS_RECHECK_PER_SECOND=50", "PAYOPS_RECHECK_CONCURRENCY=8", "PAYOPS_WEBHOOK_ALLOW_PRIVATE=1"}, logs, log)
	hs := &http.Server{Handler: fl, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(front)
	defer hs.Close()
	defer fl.stopAll()
	if err := fl.run(ctx, "payops-a"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := fl.crashes(ctx, payouts, &created, &converging); err != nil {
			fl.event("giving up: %v", err)
			cancel()
		}
	}()
	rep, err := drill.Run(ctx, dc)
	fmt.Fprintln(stdout, "payops instances:")
	for _, e := range fl.history() {
		fmt.Fprintln(stdout, "  "+e)
	}
	if err != nil {
		return err
	}
	out, err := outboundFigures(ctx, st, rc, endpointID, prefix, log)
	if err != nil {
		return err
	}
	rep.Outbound = &out
	rep.Write(stdout)
	if !rep.OK() {
		return errors.New("drill failed: a must-be-zero figure is not zero")
	}
	return nil
}
