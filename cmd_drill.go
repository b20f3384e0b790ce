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
	"strconv"
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
	if err := fs.Parse(args); err != nil || *payouts < 1 || *token == "" {
		return fmt.Errorf("usage: payops drill --token T [--scenario %v] [--payouts N] [--url U] [--sandbox-addr A] [--wait D]",
			drill.Names())
	}
	chaos, ok := drill.Scenarios[*scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: one of %v", *scenario, drill.Names())
	}
	cfg, _ := loadConfig(getenv)             // only the sandbox part matters here
	cfg.Sandbox.Seed = time.Now().UnixNano() // fates differ from drill to drill
	sb := cfg.Sandbox.newSandbox(*payopsURL+"/webhooks/"+payout.DrillProvider, 2*time.Second, &chaos, log)
	ln, err := net.Listen("tcp", *sandboxAddr)
	if err != nil {
		return fmt.Errorf("drill sandbox: %w", err)
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	dc := drill.Config{Scenario: *scenario, PayopsURL: *payopsURL, Token: *token, Sandbox: sb, Payouts: *payouts,
		Prefix: "DR" + strconv.FormatInt(time.Now().UnixMilli(), 36), Wait: *wait,
		Progress: func(done, total int, phase string) {
			if done == total || done%100 == 0 {
				log.Info("drill", "phase", phase, "done", done, "of", total)
			}
		}}
	if cfg.DatabaseURL != "" {
		st, err := store.Open(cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer st.Close()
		since := time.Now()
		dc.ForgedAccepted = func(ctx context.Context) (int, error) { return st.ForgedAccepted(ctx, payout.DrillProvider, since) }
	}
	rep, err := drill.Run(ctx, dc)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	if !rep.OK() {
		return errors.New("drill failed: a must-be-zero figure is not zero")
	}
	return nil
}
