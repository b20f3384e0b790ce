package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"payops/adapters"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	getenv := env(map[string]string{"DATABASE_URL": dsn})
	runCmd := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, getenv, strings.NewReader(stdin), &out, &errOut)
		return out.String(), err
	}

	if out, err := runCmd("", "migrate"); err != nil || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	out, err := runCmd("a-long-password\n", "user", "add", "--email", "lead@example.com", "--name", "Lead", "--role", "compliance")
	if err != nil || !strings.Contains(out, "lead@example.com added") {
		t.Fatalf("user add: %q %v", out, err)
	}
	bad := []struct {
		stdin string
		args  []string
		says  string
	}{
		{"a-long-password\n", []string{"user", "add", "--email", "lead@example.com", "--name", "Lead", "--role", "ops"}, "exists already"},
		{"a-long-password\n", []string{"user", "add", "--email", "x@example.com", "--name", "X", "--role", "boss"}, "unknown role"},
		{"short-pass\n", []string{"user", "add", "--email", "x@example.com", "--name", "X", "--role", "ops"}, "at least 12"},
		{"", []string{"frobnicate"}, "usage"},
	}
	for _, b := range bad {
		if _, err := runCmd(b.stdin, b.args...); err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("%v: err = %v, want %q", b.args, err, b.says)
		}
	}

	// demo is idempotent: the second run adds nothing.
	for i, want := range []string{"300 payouts added", "0 through the release gates, 0 provider days"} {
		out, err := runCmd("", "demo")
		if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "ops@example.com") {
			t.Fatalf("demo run %d: %q %v", i+1, out, err)
		}
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(ctx, "ops@example.com")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("demo")) != nil {
		t.Errorf("demo user: %v", err)
	}
	var stuck, total int
	s.DB().Get(&total, `SELECT count(*) FROM payouts`)
	s.DB().Get(&stuck, `SELECT count(*) FROM payouts WHERE status IN ('QUEUED','PROCESSING') AND updated_at < now() - interval '10 minutes'`)
	if total != demoPayouts+13 || stuck < 30 {
		t.Errorf("demo payouts: %d in all, %d stuck; want %d with some stuck", total, stuck, demoPayouts+13)
	}
	// Through the gates: held ones with owners, some overdue, and some
	// queued for the worker. They go to the sandbox: test payouts.
	holds, err := s.CountHolds(ctx, time.Now(), true)
	var queued int
	s.DB().Get(&queued, `SELECT count(*) FROM payouts WHERE reference_id LIKE 'DEMO-API-%' AND status = 'QUEUED'`)
	if err != nil || holds.Open < 6 || holds.Overdue < 1 || queued < 3 {
		t.Errorf("demo holds: %+v, %d queued (%v)", holds, queued, err)
	}
	var unowned int
	s.DB().Get(&unowned, `SELECT count(*) FROM holds WHERE owner_id IS NULL`)
	if unowned != 0 {
		t.Errorf("%d demo holds without an owner", unowned)
	}
	if classes, err := s.ClassOwners(ctx); err != nil || classes[payout.FailFunding].OwnerName == "" || classes[payout.FailAuth].OwnerName == "" {
		t.Errorf("demo failure class owners: %+v %v; want funding and authentication owned", classes, err)
	}
	// Two days reconciled per provider (live ones: the sandbox's payouts are
	// test payouts, never reconciled): the older NxtBanking day signed off,
	// yesterday with differences for finance.
	days, err := s.ReconDays(ctx, time.Now().AddDate(0, 0, -3), time.Now())
	signed, open := 0, 0
	for _, d := range days {
		if d.SignedOffBy != nil {
			signed++
		}
		open += d.OpenDiffs
	}
	if err != nil || len(days) != 6 || signed != 1 || open < 6 {
		t.Errorf("demo reconciliation: %d days, %d signed off, %d open differences (%v)", len(days), signed, open, err)
	}

	// API tokens: shown once, stored as a hash, revocable.
	// The token alone on stdout, so TOKEN=$(payops token create ...) works.
	out, err = runCmd("", "token", "create", "--name", "shop")
	token := strings.TrimSuffix(out, "\n")
	if err != nil || !strings.HasPrefix(token, "pot_") || len(token) < 50 || strings.ContainsAny(token, " \n") {
		t.Fatalf("token create: %q %v", out, err)
	}
	if _, err := s.Authenticate(ctx, token); err != nil {
		t.Fatalf("the new token does not authenticate: %v", err)
	}
	var stored int
	s.DB().Get(&stored, `SELECT count(*) FROM api_tokens WHERE token_hash::text LIKE '%' || $1 || '%'`, token)
	if stored != 0 {
		t.Fatal("the token is stored in clear")
	}
	if _, err := runCmd("", "token", "create", "--name", "shop"); err == nil || !strings.Contains(err.Error(), "active token is called shop") {
		t.Fatalf("second token of one name: %v", err)
	}
	if out, err := runCmd("", "token", "list"); err != nil || !strings.Contains(out, "shop") || strings.Contains(out, token) {
		t.Fatalf("token list: %q %v", out, err)
	}
	for _, args := range [][]string{{"--scope", "admin"}, {"--allow", "example.com"}, {"--rate", "-1"}} {
		if _, err := runCmd("", append([]string{"token", "create", "--name", "bad"}, args...)...); err == nil {
			t.Errorf("token create %v: no error", args)
		}
	}
	if _, err := runCmd("", "token", "create", "--name", "office", "--scope", "test", "--rate", "10", "--allow", "10.1.0.0/16, 192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd("", "token", "list"); err != nil || !strings.Contains(out, "10/s  from 10.1.0.0/16,192.0.2.1/32") ||
		!regexp.MustCompile(`office\s+test`).MatchString(out) || !regexp.MustCompile(`shop\s+live`).MatchString(out) {
		t.Fatalf("token list with scopes and limits: %q %v", out, err)
	}
	if out, err := runCmd("", "token", "revoke", "--name", "shop"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %q %v", out, err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, store.ErrTokenRevoked) {
		t.Fatalf("a revoked token authenticates: %v", err)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	tolerance := func(v string) map[string]string {
		return map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32),
			"PAYOPS_WEBHOOK_TOLERANCE": v}
	}
	tests := []struct {
		env  map[string]string
		says string
	}{
		{map[string]string{"DATABASE_URL": "x"}, "PAYOPS_SESSION_KEY is not set"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": "abcd"}, "at least 32 bytes"},
		{map[string]string{"PAYOPS_SESSION_KEY": strings.Repeat("ab", 32)}, "DATABASE_URL is not set"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_STUCK_AFTER": "soon"}, "PAYOPS_STUCK_AFTER"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SESSION_IDLE": "half an hour"}, "PAYOPS_SESSION_IDLE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SESSION_IDLE": "1m"}, "PAYOPS_SESSION_IDLE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SESSION_IDLE": "9h"}, "PAYOPS_SESSION_IDLE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SESSION_IDLE": "-30m"}, "PAYOPS_SESSION_IDLE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SUBMIT_WORKERS": "0"}, "PAYOPS_SUBMIT_WORKERS"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SUBMIT_RETRY_AFTER": "-1s"}, "PAYOPS_SUBMIT_RETRY_AFTER"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_WEBHOOK_WRITERS": "-1"}, "PAYOPS_WEBHOOK_WRITERS"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_WEBHOOK_WRITERS": "lots"}, "PAYOPS_WEBHOOK_WRITERS"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SETTLED_RECHECK_WINDOW": "two days"}, "PAYOPS_SETTLED_RECHECK_WINDOW"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_RECHECK_PER_SECOND": "0"}, "PAYOPS_RECHECK_PER_SECOND"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_RECHECK_CONCURRENCY": "many"}, "PAYOPS_RECHECK_CONCURRENCY"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_API_RATE": "fast"}, "PAYOPS_API_RATE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_API_RATE": "0/s"}, "PAYOPS_API_RATE"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_TRUSTED_PROXIES": "the load balancer"}, "PAYOPS_TRUSTED_PROXIES"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_METRICS_TOKEN": "secret"}, "PAYOPS_METRICS_TOKEN"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_PUBLIC_URL": "payops.example.com"}, "PAYOPS_PUBLIC_URL"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_PUBLIC_URL": "https://p.example.com/?x=1"}, "PAYOPS_PUBLIC_URL"},
		{map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_PUBLIC_URL": "https://p.example.com?"}, "PAYOPS_PUBLIC_URL"},
		{tolerance("5"), "PAYOPS_WEBHOOK_TOLERANCE"},
		{tolerance("0s"), "PAYOPS_WEBHOOK_TOLERANCE"},
		{tolerance("-5m"), "PAYOPS_WEBHOOK_TOLERANCE"},
		{tolerance("48h"), "PAYOPS_WEBHOOK_TOLERANCE"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve"}, env(tt.env), strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%v: err = %v, want %q", tt.env, err, tt.says)
		}
	}
}

// payops sandbox refuses its bad settings as serve does: a seed it could
// not read would decide every outcome from 0, not the seed asked for.
func TestSandboxRefusesBadConfig(t *testing.T) {
	// Cancelled before it starts: were the setting taken, the sandbox would
	// stop at once and answer no error, not serve on.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, want := range map[string]string{"PAYOPS_SANDBOX_SEED": "42x", "PAYOPS_SANDBOX_BALANCE": "lots"} {
		var out bytes.Buffer
		err := run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, env(map[string]string{name: want}),
			strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: err = %v, want it named", name, want, err)
		}
	}
}

func TestWebhookToleranceConfig(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 5 * time.Minute},
		{"90s", 90 * time.Second},
		{"1s", time.Second},
		{"24h", 24 * time.Hour},
	}
	for _, tt := range tests {
		cfg, err := loadConfig(env(map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32),
			"PAYOPS_WEBHOOK_TOLERANCE": tt.value}))
		if got := cfg.WebhookTolerance; err != nil || got != tt.want {
			t.Errorf("PAYOPS_WEBHOOK_TOLERANCE=%q: got %s (%v), want %s", tt.value, got, err, tt.want)
		}
	}
}

func TestProvidersConfig(t *testing.T) {
	key := strings.Repeat("ab", 32)
	base := map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": key}
	tests := []struct {
		env  map[string]string
		says string
	}{
		{map[string]string{"PAYOPS_NXTBANKING_API_KEY": "k", "PAYOPS_NXTBANKING_API_SECRET": "s"}, "PAYOPS_NXTBANKING_WEBHOOK_SECRET is not set"},
		{map[string]string{"PAYOPS_RAZORPAYX_KEY_ID": "k", "PAYOPS_RAZORPAYX_KEY_SECRET": "s", "PAYOPS_RAZORPAYX_ACCOUNT_NUMBER": "1"}, "PAYOPS_RAZORPAYX_WEBHOOK_SECRET is not set"},
		{map[string]string{"PAYOPS_XENDIT_SECRET_KEY": "k"}, "PAYOPS_XENDIT_CALLBACK_TOKEN is not set"},
		{map[string]string{"PAYOPS_PAYWIZE_API_KEY": "short", "PAYOPS_PAYWIZE_SECRET_KEY": "s", "PAYOPS_PAYWIZE_WEBHOOK_SECRET": "w",
			"PAYOPS_PAYWIZE_CALLBACK_URL": "https://payops.example.com/webhooks/paywize"}, "must be 32 bytes"},
		{map[string]string{"PAYOPS_PAYWIZE_API_KEY": strings.Repeat("k", 32), "PAYOPS_PAYWIZE_SECRET_KEY": strings.Repeat("s", 16),
			"PAYOPS_PAYWIZE_WEBHOOK_SECRET": "w"}, "PAYOPS_PAYWIZE_CALLBACK_URL is not set"},
	}
	for _, tt := range tests {
		for k, v := range base {
			tt.env[k] = v
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve"}, env(tt.env), strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%v: err = %v, want %q", tt.env, err, tt.says)
		}
	}
	reg, err := buildProviders(env(map[string]string{
		"PAYOPS_RAZORPAYX_KEY_ID": "k", "PAYOPS_RAZORPAYX_KEY_SECRET": "s", "PAYOPS_RAZORPAYX_ACCOUNT_NUMBER": "1",
		"PAYOPS_RAZORPAYX_WEBHOOK_SECRET": "new, old",
		"PAYOPS_XENDIT_SECRET_KEY":        "k", "PAYOPS_XENDIT_CALLBACK_TOKEN": "t",
	}), sandboxConfig{})
	if err != nil || strings.Join(reg.Names(), ",") != "razorpayx,xendit" {
		t.Errorf("configured providers: %v %v", reg.Names(), err)
	}
}

// payops user disable, enable and role change the user, end their sessions
// where the change calls for it, and are audited.
func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	getenv := env(map[string]string{"DATABASE_URL": dsn})
	runCmd := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(ctx, args, getenv, strings.NewReader(stdin), &out, &errOut)
		return out.String(), err
	}
	_, err := runCmd("a-long-password\n", "user", "add", "--email", "ana@example.com", "--name", "Ana", "--role", "ops")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	live := func() int {
		t.Helper()
		var n int
		err := s.DB().Get(&n, `SELECT count(*) FROM sessions WHERE user_id = $1 AND ended_at IS NULL`, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	signIn := func() {
		t.Helper()
		sid, _ := store.NewToken()
		if _, err := s.CreateSession(ctx, sid, u.ID, "127.0.0.1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		args     []string
		says     string
		audit    string // the action audited, if any
		sessions int    // of the two signed in before, live after
		role     payout.Role
		disabled bool
	}{
		{[]string{"disable"}, "user ana@example.com disabled; 2 sessions ended", "user.disable", 0, payout.RoleOps, true},
		{[]string{"disable"}, "is disabled already; nothing changed", "", 0, payout.RoleOps, true},
		{[]string{"enable"}, "user ana@example.com enabled", "user.enable", 2, payout.RoleOps, false},
		{[]string{"enable"}, "is enabled already; nothing changed", "", 2, payout.RoleOps, false},
		{[]string{"role", "--role", "finance"}, "now has role finance; 2 sessions ended", "user.role", 0,
			payout.RoleFinance, false},
		{[]string{"role", "--role", "finance"}, "has role finance already", "", 2, payout.RoleFinance, false},
	}
	for _, st := range steps {
		signIn()
		signIn()
		before, _ := s.AuditFor(ctx, "user", fmt.Sprint(u.ID))
		args := append([]string{"user", st.args[0], "--email", "ANA@example.com"}, st.args[1:]...)
		out, err := runCmd("", args...)
		if err != nil || !strings.Contains(out, st.says) {
			t.Fatalf("%v: %q %v, want %q", args, out, err, st.says)
		}
		if got := live(); got != st.sessions {
			t.Errorf("%v: %d sessions live, want %d", args, got, st.sessions)
		}
		after, _ := s.AuditFor(ctx, "user", fmt.Sprint(u.ID))
		var audited string
		if len(after) > len(before) {
			audited = after[len(after)-1].Action + " by " + after[len(after)-1].Actor
		}
		if want := st.audit + " by cli"; st.audit != "" && audited != want || st.audit == "" && audited != "" {
			t.Errorf("%v: audited %q, want %q", args, audited, st.audit)
		}
		got, _ := s.UserByEmail(ctx, "ana@example.com")
		if got.Role != st.role || (got.DisabledAt != nil) != st.disabled {
			t.Errorf("%v: user is %s, disabled %v", args, got.Role, got.DisabledAt != nil)
		}
		s.DB().Exec(`UPDATE sessions SET ended_at = now(), end_reason = 'logout' WHERE ended_at IS NULL`)
	}
	bad := []struct {
		args []string
		says string
	}{
		{[]string{"user", "disable", "--email", "nobody@example.com"}, "no user with email nobody@example.com"},
		{[]string{"user", "role", "--email", "ana@example.com", "--role", "boss"}, "unknown role"},
		{[]string{"user", "enable"}, "needs --email"},
		{[]string{"user", "enable", "--email", "ana@example.com", "--role", "ops"}, "takes no --role"},
		{[]string{"user", "remove", "--email", "ana@example.com"}, "usage"},
		// Ana is the only admin (below): she stays one, and stays enabled.
		{[]string{"user", "disable", "--email", "ana@example.com"}, "last admin"},
		{[]string{"user", "role", "--email", "ana@example.com", "--role", "ops"}, "last admin"},
		{[]string{"user", "add", "--email", "Bo <bo@example.com>", "--name", "Bo", "--role", "ops"}, "plain address"},
	}
	if _, err := runCmd("", "user", "role", "--email", "ana@example.com", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		if _, err := runCmd("", b.args...); err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("%v: err = %v, want %q", b.args, err, b.says)
		}
	}
}

func TestSessionIdleConfig(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
	}{{"", 30 * time.Minute}, {"45m", 45 * time.Minute}, {"5m", 5 * time.Minute}, {"8h", 8 * time.Hour}}
	for _, tt := range tests {
		c, err := loadConfig(env(map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32),
			"PAYOPS_SESSION_IDLE": tt.value}))
		if got := c.SessionIdle; err != nil || got != tt.want {
			t.Errorf("PAYOPS_SESSION_IDLE=%q: %v (%v), want %v", tt.value, got, err, tt.want)
		}
	}
}

// serve's prune-sessions job deletes sessions ended more than 14 days ago
// and sign-in attempts out of the throttle's window; the rest stay.
func TestPruneSessionsJob(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	cfg, err := loadConfig(env(map[string]string{"DATABASE_URL": dsn, "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32)}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	uid, err := s.CreateUser(ctx, store.User{Email: "ops@example.com", Name: "Ops", Role: payout.RoleOps, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for sid, ended := range map[string]time.Time{"old": now.AddDate(0, 0, -15), "recent": now.AddDate(0, 0, -13)} {
		sess, err := s.CreateSession(ctx, sid, uid, "127.0.0.1", ended.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndSession(ctx, sess.ID, store.EndLogout, ended); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateSession(ctx, "live", uid, "127.0.0.1", now); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{now.Add(-16 * time.Minute), now.Add(-time.Minute)} {
		if _, _, err := s.AddLoginAttempt(ctx, []string{"address:192.0.2.1"}, at, at); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sched, err := scheduleJobs(s, adapters.Registry{}, nil, nil, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sched.RunNow(ctx, "prune-sessions")
	if err != nil || out.Changed != 2 {
		t.Fatalf("prune-sessions: %+v %v, want 2 rows pruned", out, err)
	}
	var sessions, attempts string
	s.DB().Get(&sessions, `SELECT string_agg(client_address || '/' || coalesce(end_reason, 'live'), ',' ORDER BY id) FROM sessions`)
	s.DB().Get(&attempts, `SELECT count(*) FROM login_attempts`)
	if got, want := sessions+" "+attempts, "127.0.0.1/logout,127.0.0.1/live 1"; got != want {
		t.Errorf("left: %q, want %q", got, want)
	}
}

// A test provider enabled without an explicit webhook secret gets a random
// one each start, never a constant; an explicit one is kept.
func TestTestProviderSecrets(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	seen := map[string]bool{"": true, "sandbox-webhook-secret": true}
	for range 3 {
		for _, c := range []sandboxConfig{{BaseURL: "http://127.0.0.1:8090"}, {DrillURL: "http://127.0.0.1:8091"}} {
			c.randomSecrets(false, log)
			for _, secret := range []string{c.WebhookSecret, c.DrillWebhookSecret} {
				if secret != "" && seen[secret] {
					t.Fatalf("secret %q again: not random per start", secret)
				}
				seen[secret] = true
			}
		}
		inside := sandboxConfig{}
		inside.randomSecrets(true, log)
		if seen[inside.WebhookSecret] {
			t.Fatalf("the sandbox inside serve: secret %q", inside.WebhookSecret)
		}
		seen[inside.WebhookSecret] = true
	}
	explicit := sandboxConfig{BaseURL: "http://127.0.0.1:8090", WebhookSecret: "set", DrillURL: "x", DrillWebhookSecret: "set2"}
	explicit.randomSecrets(false, log)
	if explicit.WebhookSecret != "set" || explicit.DrillWebhookSecret != "set2" {
		t.Fatalf("explicit secrets replaced: %+v", explicit)
	}
	if _, err := buildProviders(env(nil), sandboxConfig{BaseURL: "http://127.0.0.1:8090"}); err == nil {
		t.Fatal("a sandbox without a webhook secret was built")
	}
}
