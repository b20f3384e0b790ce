package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"payops/drill"
	"payops/payout"
	"payops/store"
)

// cmdDrill runs one failure drill against a running payops: it runs the
// drill provider itself (the sandbox, misbehaving as the scenario says), and
// payops must be started with PAYOPS_DRILL_SANDBOX_URL pointing at it (and
// the same PAYOPS_SANDBOX_* credentials). With DATABASE_URL set it also counts forged
// webhooks payops accepted. It fails when a must-be-zero figure is not zero.
func cmdDrill(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scenario := fs.String("scenario", "all-of-them", "the scenario")
	payouts := fs.Int("payouts", 200, "how many payouts")
	payopsURL := fs.String("url", "http://127.0.0.1:8080", "payops' address")
	token := fs.String("token", getenv("PAYOPS_DRILL_TOKEN"), "a payops API token (or PAYOPS_DRILL_TOKEN)")
	sandboxAddr := fs.String("sandbox-addr", "127.0.0.1:8091", "where the drill's sandbox provider listens")
	wait := fs.Duration("wait", 5*time.Minute, "how long payops may take to converge")
	logs := fs.String("logs", os.TempDir(), "with --supervise, the folder for the instances' logs")
	supervise := fs.Bool("supervise", false, "run payops itself on DATABASE_URL: crashed twice with SIGKILL, two instances for a while (make drill)")
	if err := fs.Parse(args); err != nil || *payouts < 1 || (*token == "" && !*supervise) {
		return fmt.Errorf("usage: payops drill --token T [--scenario %v] [--payouts N] [--url U] [--sandbox-addr A] [--wait D] | --supervise ...",
			drill.Names())
	}
	chaos, ok := drill.Scenarios[*scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: one of %v", *scenario, drill.Names())
	}
	cfg, _ := loadConfig(getenv)             // only the sandbox part matters here
	cfg.Sandbox.Seed = time.Now().UnixNano() // fates differ from drill to drill
	var st *store.Store
	if cfg.DatabaseURL != "" {
		var err error
		if st, err = openMigrated(ctx, getenv); err != nil {
			return err
		}
		defer st.Close()
	}
	var front net.Listener
	if *supervise {
		if st == nil {
			return errors.New("payops drill --supervise runs payops on DATABASE_URL: set it")
		}
		var err error
		if front, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		*payopsURL = "http://" + front.Addr().String()
		if *token, err = store.NewToken(); err == nil {
			_, err = st.CreateToken(ctx, "drill-"+strconv.FormatInt(time.Now().UnixMilli(), 36), *token)
		}
		if err != nil {
			return err
		}
	}
	sb := cfg.Sandbox.newSandbox(*payopsURL+"/webhooks/"+payout.DrillProvider, 2*time.Second, &chaos, log)
	sandboxURL, stopSandbox, err := serveOn(ctx, *sandboxAddr, sb)
	if err != nil {
		return fmt.Errorf("drill sandbox: %w", err)
	}
	defer stopSandbox()

	var created atomic.Int64
	var converging atomic.Bool
	dc := drill.Config{Scenario: *scenario, PayopsURL: *payopsURL, Token: *token, Sandbox: sb, Payouts: *payouts,
		Prefix: "DR" + strconv.FormatInt(time.Now().UnixMilli(), 36), Wait: *wait,
		Progress: func(done, total int, phase string) {
			if phase == "creating" {
				created.Store(int64(done))
			} else {
				converging.Store(true)
			}
			if done == total || done%100 == 0 {
				log.Info("drill", "phase", phase, "done", done, "of", total)
			}
		}}
	if st != nil {
		since := time.Now()
		dc.ForgedAccepted = func(ctx context.Context) (int, error) { return st.ForgedAccepted(ctx, payout.DrillProvider, since) }
	}
	var fl *fleet
	if *supervise {
		fl = newFleet([]string{"DATABASE_URL=" + cfg.DatabaseURL, "PAYOPS_SESSION_KEY=" + randomHex(32),
			"PAYOPS_DRILL_SANDBOX_URL=" + sandboxURL, "PAYOPS_RECHECK_SCHEDULE=@every 5s", "PAYOPS_RECHECK_AFTER=5s",
			"PAYOPS_SETTLED_RECHECK_WINDOW=10m", "PAYOPS_SUBMIT_RETRY_AFTER=2s", "PAYOPS_SUBMIT_WORKERS=16",
			"PAYOPS_RECHECK_PER_SECOND=50", "PAYOPS_RECHECK_CONCURRENCY=8"}, *logs, log)
		hs := &http.Server{Handler: fl, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(front)
		defer hs.Close()
		defer fl.stopAll()
		if err := fl.run(ctx, "payops-a"); err != nil {
			return err
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			if err := fl.crashes(ctx, *payouts, &created, &converging); err != nil {
				fl.event("giving up: %v", err)
				cancel()
			}
		}()
	}
	rep, err := drill.Run(ctx, dc)
	if fl != nil {
		fmt.Fprintln(stdout, "payops instances:")
		for _, e := range fl.events {
			fmt.Fprintln(stdout, "  "+e)
		}
	}
	if err != nil {
		return err
	}
	rep.Write(stdout)
	if !rep.OK() {
		return errors.New("drill failed: a must-be-zero figure is not zero")
	}
	return nil
}
