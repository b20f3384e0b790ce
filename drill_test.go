package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"payops/drill"
	"payops/store/pgtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// servePayops runs payops serve with vars (and a database and address of
// its own) and args until the test ends, once it is ready; it returns its
// address.
func servePayops(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := freeAddr(t)
	vars["DATABASE_URL"], vars["PAYOPS_ADDR"] = pgtest.NewDSN(t), addr
	vars["PAYOPS_SESSION_KEY"] = strings.Repeat("ab", 32)
	var served error
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		served = run(ctx, append([]string{"serve"}, args...), env(vars), nil, io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
		if served != nil {
			t.Errorf("serve: %v", served)
		}
	})
	if err := waitReady(ctx, addr, 30*time.Second, exited); err != nil {
		t.Fatalf("payops serve %v", err)
	}
	return addr
}

// newToken makes an API token of scope on the database of vars and returns
// its secret.
func newToken(t *testing.T, vars map[string]string, name, scope string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--name", name, "--scope", scope}, env(vars), nil, &out,
		io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out.String())
	return lines[len(lines)-1]
}

// payops serve, end to end, through every failure drill at once, each
// against a payops of its own, started as an operator would: payops drill
// with a drills token asks the running payops to run it (the runner of
// /drills, its drill provider inside serve) and follows it to the report.
// Payouts sent through the API to a sandbox that loses, duplicates,
// reorders and forges webhooks, fails and stalls, refuses for funds,
// reverses payouts later, understates amounts and announces an outage end
// in the sandbox's truth, with a balanced ledger, no forged webhook
// accepted, nothing sent while paused and the failure cases where the
// sandbox failed a payout and nowhere else. Waits are scaled down
// (re-check every second, first submission retry after a second); the
// downtime scenario's 12 s outage is the longest wait of all.
func TestDrills(t *testing.T) {
	for _, scenario := range drill.Names() {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"PAYOPS_RECHECK_SCHEDULE": "@every 1s", "PAYOPS_RECHECK_AFTER": "1s",
				"PAYOPS_SUBMIT_RETRY_AFTER": "1s"}
			addr := servePayops(t, vars)
			vars["PAYOPS_DRILL_TOKEN"] = newToken(t, vars, "drills", "drills")
			var out bytes.Buffer
			err := run(context.Background(), []string{"drill", "--scenario", scenario, "--payouts", "30", "--url", "http://" + addr,
				"--wait", "3m"}, env(vars), nil, &out, os.Stderr)
			if err != nil || !strings.Contains(out.String(), "result: ok") {
				t.Errorf("drill %s: %v\n%s", scenario, err, out.String())
			} else {
				t.Logf("%s", out.String())
			}
		})
	}
}

// payops drill against a payops that cannot run it stops at once and says
// what is missing, instead of waiting for payouts that never converge.
func TestDrillCommandSaysWhatIsMissing(t *testing.T) {
	jobsOff := map[string]string{"PAYOPS_JOBS": "off"}
	addr := servePayops(t, jobsOff)
	drills, live := newToken(t, jobsOff, "drills", "drills"), newToken(t, jobsOff, "shop", "live")
	tests := []struct {
		name, url, token string
		says             string
	}{
		{"no payops there", "http://" + freeAddr(t), drills, "not reachable"},
		{"a live token", "http://" + addr, live, "--scope drills"},
		{"an unknown token", "http://" + addr, "pot_nothing", "unknown token"},
		{"no jobs on this payops", "http://" + addr, drills, "PAYOPS_JOBS=off"},
		{"too many payouts", "http://" + addr, drills, "payouts"},
		{"a market that is no country code", "http://" + addr, drills, "--market"},
		{"no token", "http://" + addr, "", "needs --token or PAYOPS_DRILL_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := []string{"drill", "--scenario", "happy", "--payouts", "5", "--url", tt.url, "--token", tt.token}
			if tt.name == "too many payouts" {
				args[4] = "5000"
			}
			if strings.HasPrefix(tt.name, "a market") {
				args = append(args, "--market", "India")
			}
			err := run(ctx, args, env(jobsOff), nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want one saying %q", err, tt.says)
			}
		})
	}
}
