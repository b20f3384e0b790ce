package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func TestMarketApply(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	runCmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, env(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, email := range []string{"ops@example.com", "compliance@example.com", "admin@example.com"} {
		if _, err := s.CreateUser(ctx, store.User{Email: email, Name: email, Role: payout.RoleAdmin, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The example, for a market with no document yet.
	const th = `{"market":"TH","program":"default","live":true,"owners":{"payout_support":"ops@example.com",
		"user_recovery":"ops@example.com","blocked_payouts":"compliance@example.com","incident_response":"admin@example.com"},
		"tax_artifacts_required":true,"review_thresholds":{"INR":"200000.00"},"approvals":[{"currency":"INR",
		"at_or_above":"1000000.00","approvers":2}],"settlement":{"rail":"fiat","posting_window":"T+1 by 18:00 IST",
		"fee_treatment":"platform bears the fee","completed_means":"provider SUCCEEDED with UTR","exception_path":
		"ops owner contacts the beneficiary within 1 business day"}}`
	history := func(market string) int {
		t.Helper()
		h, err := s.MarketHistory(ctx, market, payout.DefaultProgram)
		if err != nil {
			t.Fatal(err)
		}
		return len(h)
	}

	// A live document whose second neighbour lacks an owner: refused as a
	// whole, naming the field; nothing loaded.
	both := file("both.json", `[`+th+`,{"market":"VN","live":true,"owners":{"payout_support":"ops@example.com"}}]`)
	if _, err := runCmd("market", "apply", both); err == nil || !strings.Contains(err.Error(), "VN/default: owners.user_recovery") ||
		!strings.Contains(err.Error(), "nothing loaded") {
		t.Fatalf("apply with an incomplete live document: %v, want it refused naming VN/default: owners.user_recovery", err)
	}
	if n := history("TH"); n != 0 {
		t.Fatalf("TH has %d versions after a refused apply, want none", n)
	}

	// Live but its checklist unproven: refused without the flag.
	one := file("th.json", th)
	if _, err := runCmd("market", "apply", one); err == nil || !strings.Contains(err.Error(), "TH/default: live:") {
		t.Fatalf("apply live without evidence: %v, want refused on live", err)
	}
	// The flag after the file, and the actor recorded.
	out, err := runCmd("market", "apply", one, "--accept-unverified-checklist", "--actor", "admin@example.com")
	if err != nil || !strings.Contains(out, "TH/default: version 1 written (live, 4 of 6 checkpoints)") {
		t.Fatalf("apply: %q %v", out, err)
	}
	h, err := s.MarketHistory(ctx, "TH", payout.DefaultProgram)
	if err != nil || len(h) != 1 || h[0].ChangedBy != "admin@example.com" || !h[0].Live {
		t.Fatalf("history %+v %v, want one live version by admin@example.com", h, err)
	}
	// Again, flag before the file: nothing changed.
	if out, err := runCmd("market", "apply", "--accept-unverified-checklist", one); err != nil ||
		!strings.Contains(out, "TH/default: unchanged at version 1") {
		t.Fatalf("apply again: %q %v", out, err)
	}

	// An incomplete document without live loads; its market stays read-only.
	vn := file("vn.json", `{"market":"VN","owners":{"payout_support":"ops@example.com"}}`)
	if out, err := runCmd("market", "apply", vn); err != nil || !strings.Contains(out, "VN/default: version 1 written (read-only") ||
		!strings.Contains(out, "missing owners.user_recovery") {
		t.Fatalf("apply incomplete: %q %v", out, err)
	}

	// A float amount is refused naming the field.
	float := file("float.json", `{"market":"VN","review_thresholds":{"INR":200000.5}}`)
	if _, err := runCmd("market", "apply", float); err == nil || !strings.Contains(err.Error(), "review_thresholds") {
		t.Fatalf("apply a float amount: %v, want refused naming review_thresholds", err)
	}
	if n := history("VN"); n != 1 {
		t.Errorf("VN has %d versions, want 1", n)
	}
}
