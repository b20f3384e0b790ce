package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"payops/adapters/sandbox"
	"payops/notify/email"
	"payops/payout"
	"payops/store"
)

// smtpTimeout is how long one email may take to send; chatTimeout one chat
// post.
const (
	smtpTimeout = 10 * time.Second
	chatTimeout = 5 * time.Second
)

// config is payops' configuration, all from the environment; README lists it.
type config struct {
	DatabaseURL string
	ReadURL     string // PAYOPS_READ_DATABASE_URL: a read replica for lists, search and exports; "" for none
	Addr        string
	SessionKey  []byte
	SessionIdle time.Duration // a dashboard session ends after this long without a request
	StuckAfter  time.Duration
	// StuckLongAfter is when a payout sent and unsettled becomes a
	// stuck_long exception case (PAYOPS_STUCK_LONG_AFTER, default 24h).
	StuckLongAfter time.Duration
	SecureCookies  bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (PAYOPS_TRUSTED_PROXIES).
	TrustedProxies []string
	// MetricsToken is the bearer token /metrics asks for
	// (PAYOPS_METRICS_TOKEN); "" serves it to the internal network only.
	MetricsToken   string
	Sandbox        sandboxConfig
	Policy         payout.Policy
	MaxAttempts    int // submission attempts before a manual-review hold
	Jobs           bool
	RecheckEvery   string        // cron schedule of the stale re-check
	RecheckAfter   time.Duration // how long without change makes a payout stale
	SettledWindow  time.Duration // how long succeeded payouts are still re-checked (late reversals)
	RecheckRate    int           // re-check calls a second per provider
	RecheckLanes   int           // re-check calls in flight per provider
	RetryAfter     time.Duration // first wait before a failed submission is tried again
	SubmitWorkers  int           // submissions in flight at once
	WebhookWriters int           // transactions taking webhooks in at once, in groups (0: each alone)
	DayEndEvery    string        // cron schedule of day-end reconciliation, in BusinessTZ
	BusinessTZ     *time.Location
	APIRate        int // requests a second per API token (burst twice that)
	// WebhookTolerance is how far a webhook's own send time may be from its
	// arrival, either way.
	WebhookTolerance time.Duration
	// PublicURL is the dashboard's address as people open it
	// (PAYOPS_PUBLIC_URL, "https://payops.example.com"): notices link their
	// pages under it. "" leaves them as paths.
	PublicURL string
	// SMTPURL is where notices are emailed through (PAYOPS_SMTP_URL); ""
	// sends no email. It may hold a password: never log it.
	SMTPURL string
	// Outbound is where outbound webhooks may be sent: https to public
	// addresses, or anywhere with PAYOPS_WEBHOOK_ALLOW_PRIVATE=1.
	Outbound payout.EndpointPolicy

	// Provider health: how long a downtime notice pauses a provider at
	// most, the circuit breaker, and how often balances are read.
	DowntimeMaxPause time.Duration
	Breaker          store.Breaker
	BalanceEvery     string

	// History (issue 19): how many months of partitions are made ahead,
	// where archived months go ("" archives nothing) and how long each
	// history table keeps its months.
	PartitionsAhead int
	ArchiveDir      string
	Retention       payout.Retention

	// IgnoredReadOnlyMarkets is PAYOPS_READ_ONLY_MARKETS when still set:
	// launch documents decide which markets are live now; serve only puts
	// back to read-only a market it lists that the upgrade made live and
	// nobody has paid since (store.KeepReadOnlyAfterUpgrade), and warns.
	IgnoredReadOnlyMarkets string
}

// sandboxConfig is the test providers': the sandbox and the drill
// provider. Their webhook secrets have no default: a test provider payops
// runs itself gets a random one each start, and one that runs elsewhere
// must be given the secret it signs with.
type sandboxConfig struct {
	BaseURL            string // where payops reaches the sandbox provider; "" disables it
	DrillURL           string // where payops reaches the drill provider; "" runs it inside serve, during drills
	APIKey             string
	APISecret          string
	WebhookSecret      string // the sandbox's
	DrillWebhookSecret string // the drill provider's at DrillURL
	Seed               int64
	Balance            string // the embedded sandbox's balance, rupees
}

// loadSandboxConfig reads the test providers' settings: serve's and payops
// sandbox's, which refuse to start on a bad one.
func loadSandboxConfig(getenv func(string) string) (sandboxConfig, error) {
	sb := sandboxConfig{
		BaseURL:            getenv("PAYOPS_SANDBOX_BASE_URL"),
		DrillURL:           getenv("PAYOPS_DRILL_SANDBOX_URL"),
		APIKey:             or(getenv("PAYOPS_SANDBOX_API_KEY"), "sandbox-key"),
		APISecret:          or(getenv("PAYOPS_SANDBOX_API_SECRET"), "sandbox-secret"),
		WebhookSecret:      getenv("PAYOPS_SANDBOX_WEBHOOK_SECRET"),
		DrillWebhookSecret: getenv("PAYOPS_DRILL_WEBHOOK_SECRET"),
		Balance:            or(getenv("PAYOPS_SANDBOX_BALANCE"), sandbox.DefaultBalance),
	}
	var errs []error
	if _, err := payout.ParseMoney(sb.Balance, "INR"); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_SANDBOX_BALANCE must be rupees such as 250000.00, not %q", sb.Balance))
	}
	var err error
	if sb.Seed, err = strconv.ParseInt(or(getenv("PAYOPS_SANDBOX_SEED"), "42"), 10, 64); err != nil {
		errs = append(errs, errors.New("PAYOPS_SANDBOX_SEED must be a whole number"))
	}
	return sb, errors.Join(errs...)
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: getenv("DATABASE_URL"), ReadURL: getenv("PAYOPS_READ_DATABASE_URL"),
		Addr: or(getenv("PAYOPS_ADDR"), "127.0.0.1:8080"),
	}
	var errs []error
	var sbErr error
	if c.Sandbox, sbErr = loadSandboxConfig(getenv); sbErr != nil {
		errs = append(errs, sbErr)
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set"))
	}
	key := getenv("PAYOPS_SESSION_KEY")
	if key == "" {
		errs = append(errs, errors.New("PAYOPS_SESSION_KEY is not set: give 32 or more random bytes in hex (make run generates one into .data/)"))
	} else if b, err := hex.DecodeString(key); err != nil || len(b) < 32 {
		errs = append(errs, errors.New("PAYOPS_SESSION_KEY must be at least 32 bytes written in hex (64 hex digits)"))
	} else {
		c.SessionKey = b
	}
	var err error
	if c.SessionIdle, err = time.ParseDuration(or(getenv("PAYOPS_SESSION_IDLE"), "30m")); err != nil ||
		c.SessionIdle < minSessionIdle || c.SessionIdle > 8*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_SESSION_IDLE must be a duration from 5m to 8h "+
			"(sessions end 8 hours after sign-in), not %q", getenv("PAYOPS_SESSION_IDLE")))
	}
	if c.StuckAfter, err = time.ParseDuration(or(getenv("PAYOPS_STUCK_AFTER"), "10m")); err != nil || c.StuckAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_STUCK_AFTER must be a positive duration such as 10m, not %q", getenv("PAYOPS_STUCK_AFTER")))
	}
	if c.StuckLongAfter, err = time.ParseDuration(or(getenv("PAYOPS_STUCK_LONG_AFTER"), "24h")); err != nil ||
		c.StuckLongAfter < time.Hour || c.StuckLongAfter > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_STUCK_LONG_AFTER must be a duration from 1h to 720h such as 24h, not %q",
			getenv("PAYOPS_STUCK_LONG_AFTER")))
	}
	if v := getenv("PAYOPS_SECURE_COOKIES"); v != "" {
		if c.SecureCookies, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("PAYOPS_SECURE_COOKIES must be true or false, not %q", v))
		}
	}
	c.MetricsToken = strings.TrimSpace(getenv("PAYOPS_METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("PAYOPS_METRICS_TOKEN must be at least 16 characters (openssl rand -hex 16)"))
	}
	if c.TrustedProxies, err = payout.ParseNetworks(getenv("PAYOPS_TRUSTED_PROXIES")); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_TRUSTED_PROXIES: %w", err))
	}
	if c.Policy, err = policyFrom(getenv); err != nil {
		errs = append(errs, err)
	}
	c.IgnoredReadOnlyMarkets = strings.TrimSpace(getenv("PAYOPS_READ_ONLY_MARKETS"))
	if c.MaxAttempts, err = strconv.Atoi(or(getenv("PAYOPS_SUBMIT_MAX_ATTEMPTS"), "5")); err != nil || c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_MAX_ATTEMPTS must be a whole number of at least 1, not %q", getenv("PAYOPS_SUBMIT_MAX_ATTEMPTS")))
	}
	if c.RetryAfter, err = time.ParseDuration(or(getenv("PAYOPS_SUBMIT_RETRY_AFTER"), "30s")); err != nil || c.RetryAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_RETRY_AFTER must be a positive duration such as 30s, not %q", getenv("PAYOPS_SUBMIT_RETRY_AFTER")))
	}
	if c.SubmitWorkers, err = strconv.Atoi(or(getenv("PAYOPS_SUBMIT_WORKERS"), "4")); err != nil || c.SubmitWorkers < 1 || c.SubmitWorkers > 64 {
		errs = append(errs, fmt.Errorf("PAYOPS_SUBMIT_WORKERS must be a whole number from 1 to 64, not %q", getenv("PAYOPS_SUBMIT_WORKERS")))
	}
	if c.WebhookWriters, err = strconv.Atoi(or(getenv("PAYOPS_WEBHOOK_WRITERS"), "2")); err != nil || c.WebhookWriters < 0 || c.WebhookWriters > 8 {
		errs = append(errs, fmt.Errorf("PAYOPS_WEBHOOK_WRITERS must be a whole number from 0 to 8, not %q", getenv("PAYOPS_WEBHOOK_WRITERS")))
	}
	if c.Outbound, err = outboundPolicy(getenv); err != nil {
		errs = append(errs, err)
	}
	switch v := or(getenv("PAYOPS_JOBS"), "on"); v {
	case "on", "off":
		c.Jobs = v == "on"
	default:
		errs = append(errs, fmt.Errorf("PAYOPS_JOBS must be on or off, not %q", v))
	}
	c.RecheckEvery = or(getenv("PAYOPS_RECHECK_SCHEDULE"), "@every 15m")
	if _, err := cron.ParseStandard(c.RecheckEvery); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_SCHEDULE %q is not a cron schedule: %w", c.RecheckEvery, err))
	}
	if c.RecheckAfter, err = time.ParseDuration(or(getenv("PAYOPS_RECHECK_AFTER"), "2m")); err != nil || c.RecheckAfter <= 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_AFTER must be a positive duration such as 2m, not %q", getenv("PAYOPS_RECHECK_AFTER")))
	}
	if c.SettledWindow, err = time.ParseDuration(or(getenv("PAYOPS_SETTLED_RECHECK_WINDOW"), "48h")); err != nil || c.SettledWindow < 0 {
		errs = append(errs, fmt.Errorf("PAYOPS_SETTLED_RECHECK_WINDOW must be a duration such as 48h (0 for none), not %q", getenv("PAYOPS_SETTLED_RECHECK_WINDOW")))
	}
	if c.RecheckRate, err = strconv.Atoi(or(getenv("PAYOPS_RECHECK_PER_SECOND"), "5")); err != nil || c.RecheckRate < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_PER_SECOND must be a whole number of at least 1, not %q", getenv("PAYOPS_RECHECK_PER_SECOND")))
	}
	if c.RecheckLanes, err = strconv.Atoi(or(getenv("PAYOPS_RECHECK_CONCURRENCY"), "2")); err != nil || c.RecheckLanes < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_RECHECK_CONCURRENCY must be a whole number of at least 1, not %q", getenv("PAYOPS_RECHECK_CONCURRENCY")))
	}
	c.DayEndEvery = or(getenv("PAYOPS_DAYEND_SCHEDULE"), "30 0 * * *")
	if _, err := cron.ParseStandard(c.DayEndEvery); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_DAYEND_SCHEDULE %q is not a cron schedule: %w", c.DayEndEvery, err))
	}
	if c.BusinessTZ, err = time.LoadLocation(or(getenv("PAYOPS_BUSINESS_TZ"), "UTC")); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_BUSINESS_TZ %q is not a time zone such as Asia/Kolkata", getenv("PAYOPS_BUSINESS_TZ")))
	}
	rate, _ := strings.CutSuffix(strings.TrimSpace(or(getenv("PAYOPS_API_RATE"), "50")), "/s")
	if c.APIRate, err = strconv.Atoi(rate); err != nil || c.APIRate < 1 {
		errs = append(errs, fmt.Errorf("PAYOPS_API_RATE must be requests a second per token, such as 50 or 50/s, not %q",
			getenv("PAYOPS_API_RATE")))
	}
	tol := or(getenv("PAYOPS_WEBHOOK_TOLERANCE"), payout.DefaultWebhookTolerance.String())
	if c.WebhookTolerance, err = time.ParseDuration(tol); err != nil || c.WebhookTolerance < time.Second ||
		c.WebhookTolerance > 24*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_WEBHOOK_TOLERANCE must be a duration from 1s to 24h such as 5m, not %q", tol))
	}
	if c.DowntimeMaxPause, err = time.ParseDuration(or(getenv("PAYOPS_DOWNTIME_MAX_PAUSE"), "3h")); err != nil ||
		c.DowntimeMaxPause < time.Minute || c.DowntimeMaxPause > 72*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_DOWNTIME_MAX_PAUSE must be a duration from 1m to 72h such as 3h, not %q",
			getenv("PAYOPS_DOWNTIME_MAX_PAUSE")))
	}
	if c.Breaker.Threshold, err = strconv.Atoi(or(getenv("PAYOPS_BREAKER_FAILURES"), "5")); err != nil ||
		c.Breaker.Threshold < 1 || c.Breaker.Threshold > 1000 {
		errs = append(errs, fmt.Errorf("PAYOPS_BREAKER_FAILURES must be a whole number from 1 to 1000, not %q",
			getenv("PAYOPS_BREAKER_FAILURES")))
	}
	if c.Breaker.Cooldown, err = time.ParseDuration(or(getenv("PAYOPS_BREAKER_COOLDOWN"), "1m")); err != nil ||
		c.Breaker.Cooldown < time.Second || c.Breaker.Cooldown > 24*time.Hour {
		errs = append(errs, fmt.Errorf("PAYOPS_BREAKER_COOLDOWN must be a duration from 1s to 24h such as 1m, not %q",
			getenv("PAYOPS_BREAKER_COOLDOWN")))
	}
	c.BalanceEvery = or(getenv("PAYOPS_BALANCE_SCHEDULE"), "@every 5m")
	if _, err := cron.ParseStandard(c.BalanceEvery); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_BALANCE_SCHEDULE %q is not a cron schedule: %w", c.BalanceEvery, err))
	}
	if v := getenv("PAYOPS_PUBLIC_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("PAYOPS_PUBLIC_URL must be the dashboard's address, such as "+
				"https://payops.example.com, not %q", v))
		} else {
			c.PublicURL = strings.TrimRight(u.String(), "/")
		}
	}
	if c.SMTPURL = getenv("PAYOPS_SMTP_URL"); c.SMTPURL != "" {
		// The client's errors never repeat the URL, which may hold a password.
		if _, err := email.NewClient(c.SMTPURL, smtpTimeout); err != nil {
			errs = append(errs, fmt.Errorf("PAYOPS_SMTP_URL: %w", err))
		}
	}
	if err := historyConfig(&c, getenv); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// minSessionIdle is the shortest idle period: a session's last use is
// written about once a minute, so a shorter one would end sessions in use.
const minSessionIdle = 5 * time.Minute

// defaultReviewThresholds: payouts above these go to compliance first. Every
// currency payops accepts has one (about 5,000 US dollars, INR's the
// lower 2,00,000.00 it always had): a currency without one would go
// unreviewed at any amount (serve warns when PAYOPS_REVIEW_THRESHOLDS
// leaves any out).
const defaultReviewThresholds = "INR=200000.00,IDR=100000000,USD=5000.00,PHP=250000.00,VND=100000000,THB=150000.00," +
	"MYR=20000.00,SGD=6000.00,EUR=4500.00,GBP=4000.00,AED=18000.00,JPY=700000,KRW=6500000,BHD=1800.000,KWD=1500.000"

// policyFrom reads the release gates' configuration. Which markets are
// live is no configuration: their launch documents decide.
func policyFrom(getenv func(string) string) (payout.Policy, error) {
	p, err := payout.ParsePolicy(or(getenv("PAYOPS_REVIEW_THRESHOLDS"), defaultReviewThresholds))
	if err != nil {
		return p, fmt.Errorf("PAYOPS_REVIEW_THRESHOLDS: %w", err)
	}
	return p, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// emailFrom is the address notices are emailed from; "" when
// PAYOPS_SMTP_URL is not set.
func (c config) emailFrom() string {
	if c.SMTPURL == "" {
		return ""
	}
	mailer, err := email.NewClient(c.SMTPURL, smtpTimeout)
	if err != nil {
		return ""
	}
	return mailer.From()
}

// outboundPolicy returns where outbound webhooks may go, from
// PAYOPS_WEBHOOK_ALLOW_PRIVATE (0, the default, or 1).
func outboundPolicy(getenv func(string) string) (payout.EndpointPolicy, error) {
	switch v := or(getenv("PAYOPS_WEBHOOK_ALLOW_PRIVATE"), "0"); v {
	case "0", "1":
		return payout.EndpointPolicy{AllowPrivate: v == "1"}, nil
	default:
		return payout.EndpointPolicy{}, fmt.Errorf("PAYOPS_WEBHOOK_ALLOW_PRIVATE must be 0 or 1, not %q", v)
	}
}
