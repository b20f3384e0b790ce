package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func TestEndpointCommands(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	runCmd := func(vars map[string]string, args ...string) (string, error) {
		vars["DATABASE_URL"] = dsn
		var out, errOut bytes.Buffer
		err := run(ctx, args, env(vars), strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	out, err := runCmd(map[string]string{}, "endpoint", "add", "--url", "https://hooks.example.com/payops",
		"--events", "payout.succeeded,payout.failed")
	if err != nil {
		t.Fatalf("endpoint add: %q %v", out, err)
	}
	var id, secret string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "secret: "); ok {
			secret = v
		}
	}
	if _, err := payout.ParseWebhookSecret(secret); err != nil || id != "1" {
		t.Fatalf("endpoint add printed id %q secret %q (%v)", id, secret, err)
	}
	for _, bad := range []struct {
		vars map[string]string
		args []string
		says string
	}{
		{map[string]string{}, []string{"--url", "http://127.0.0.1:9000/hook"}, "https"},
		{map[string]string{}, []string{"--url", "https://10.0.0.7/hook"}, "private"},
		{map[string]string{}, []string{"--url", "https://hooks.example.com/", "--events", "payout.exploded"}, "unknown event type"},
		{map[string]string{"PAYOPS_WEBHOOK_ALLOW_PRIVATE": "yes"}, []string{"--url", "https://hooks.example.com/"}, "0 or 1"},
	} {
		if _, err := runCmd(bad.vars, append([]string{"endpoint", "add"}, bad.args...)...); err == nil ||
			!strings.Contains(err.Error(), bad.says) {
			t.Errorf("endpoint add %v: err = %v, want %q", bad.args, err, bad.says)
		}
	}
	// Let in by the command's setting, and told that serve needs it too.
	var said, note bytes.Buffer
	err = run(ctx, []string{"endpoint", "add", "--url", "http://127.0.0.1:9000/hook"},
		env(map[string]string{"DATABASE_URL": dsn, "PAYOPS_WEBHOOK_ALLOW_PRIVATE": "1"}), strings.NewReader(""), &said, &note)
	if err != nil || !strings.Contains(note.String(), "runs with PAYOPS_WEBHOOK_ALLOW_PRIVATE=1 too") {
		t.Errorf("a loopback endpoint with PAYOPS_WEBHOOK_ALLOW_PRIVATE=1: %v, said %q", err, note.String())
	}
	if _, err := runCmd(map[string]string{}, "endpoint", "add", "--url", "https://hooks.example.com/test", "--test"); err != nil {
		t.Errorf("a test endpoint: %v", err)
	}
	if out, err := runCmd(map[string]string{}, "endpoint", "disable", "--id", "1", "--reason", "moved"); err != nil ||
		!strings.Contains(out, "endpoint 1 disabled") {
		t.Fatalf("endpoint disable: %q %v", out, err)
	}
	out, err = runCmd(map[string]string{}, "endpoint", "list")
	if err != nil || !strings.Contains(out, "payout.failed,payout.succeeded") || !strings.Contains(out, "disabled") ||
		strings.Contains(out, secret) || !strings.Contains(out, "test  https://hooks.example.com/test") {
		t.Fatalf("endpoint list: %q %v", out, err)
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.WebhookEndpointByID(ctx, 1)
	if err != nil || e.Secret != secret || e.Enabled() || e.DisabledReason != "moved" {
		t.Fatalf("endpoint 1: %+v %v", e, err)
	}
	// Enabled without a reason, the audit says it was enabled.
	if _, err := runCmd(map[string]string{}, "endpoint", "enable", "--id", "1"); err != nil {
		t.Fatal(err)
	}
	var why string
	s.DB().Get(&why, `SELECT details->>'reason' FROM audit_log WHERE action = 'webhook_endpoint.enabled' ORDER BY id DESC LIMIT 1`)
	if why != "enabled from the command line" {
		t.Errorf("enabling audited the reason %q", why)
	}
}
