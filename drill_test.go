package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

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

// payops serve, end to end, through failure drills: payouts sent through
// the API to a sandbox that loses, duplicates, reorders and forges webhooks
// or refuses for funds end in the sandbox's truth, with a balanced ledger
// and no forged webhook accepted.
func TestDrills(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, sandboxAddr := freeAddr(t), freeAddr(t)
	vars := map[string]string{"DATABASE_URL": pgtest.NewDSN(t), "PAYOPS_ADDR": addr,
		"PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SANDBOX_BASE_URL": "http://" + sandboxAddr,
		"PAYOPS_RECHECK_SCHEDULE": "@every 1s", "PAYOPS_RECHECK_AFTER": "1s"}
	getenv := env(vars)
	var tok bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--name", "drill"}, getenv, nil, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	vars["PAYOPS_DRILL_TOKEN"] = strings.TrimSpace(tok.String()[strings.LastIndex(strings.TrimSpace(tok.String()), "\n")+1:])
	served := make(chan error, 1)
	go func() { served <- run(ctx, []string{"serve"}, getenv, nil, io.Discard, os.Stderr) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		select {
		case err := <-served:
			t.Fatalf("payops serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("payops serve did not become ready")
		}
	}
	for _, scenario := range []string{"lost-webhooks", "duplicate-storm", "out-of-order", "forged", "insufficient-funds"} {
		var out bytes.Buffer
		err := run(ctx, []string{"drill", "--scenario", scenario, "--payouts", "30", "--url", "http://" + addr,
			"--sandbox-addr", sandboxAddr, "--wait", "60s"}, getenv, nil, &out, io.Discard)
		if err != nil || !strings.Contains(out.String(), "result: ok") {
			t.Errorf("drill %s: %v\n%s", scenario, err, out.String())
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
