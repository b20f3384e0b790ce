package main

import (
	"bytes"
	"context"
	"io"
	"net"
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
// its own) until the test ends, once it is ready; it returns its address.
func servePayops(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := freeAddr(t)
	vars["DATABASE_URL"], vars["PAYOPS_ADDR"] = pgtest.NewDSN(t), addr
	vars["PAYOPS_SESSION_KEY"] = strings.Repeat("ab", 32)
	var served error
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		served = run(ctx, []string{"serve"}, env(vars), nil, io.Discard, io.Discard)
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

// payops serve, end to end, through every failure drill at once, each
// against a payops of its own: payouts sent through the API to a sandbox
// that loses, duplicates, reorders and forges webhooks, fails and stalls,
// refuses for funds and reverses payouts later end in the sandbox's truth,
// with a balanced ledger and no forged webhook accepted. Waits are scaled
// down (re-check every second, first submission retry after a second).
func TestDrills(t *testing.T) {
	for _, scenario := range drill.Names() {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			sandboxAddr := freeAddr(t)
			vars := map[string]string{"PAYOPS_DRILL_SANDBOX_URL": "http://" + sandboxAddr,
				"PAYOPS_RECHECK_SCHEDULE": "@every 1s", "PAYOPS_RECHECK_AFTER": "1s", "PAYOPS_SUBMIT_RETRY_AFTER": "1s"}
			addr := servePayops(t, vars)
			var tok bytes.Buffer
			if err := run(context.Background(), []string{"token", "create", "--name", "drill"}, env(vars), nil, &tok, io.Discard); err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(tok.String())
			vars["PAYOPS_DRILL_TOKEN"] = lines[len(lines)-1]
			var out bytes.Buffer
			err := run(context.Background(), []string{"drill", "--scenario", scenario, "--payouts", "30", "--url", "http://" + addr,
				"--sandbox-addr", sandboxAddr, "--wait", "3m"}, env(vars), nil, &out, io.Discard)
			if err != nil || !strings.Contains(out.String(), "result: ok") {
				t.Errorf("drill %s: %v\n%s", scenario, err, out.String())
			} else {
				t.Logf("%s", out.String())
			}
		})
	}
}
