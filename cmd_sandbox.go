package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
)

// newSandbox is a sandbox provider with payops' sandbox credentials,
// sending its webhooks to webhookURL signed with secret.
func (c sandboxConfig) newSandbox(webhookURL, secret string, settle time.Duration, chaos *sandbox.Chaos, log *slog.Logger) *sandbox.Server {
	return sandbox.New(sandbox.Config{Seed: c.Seed, APIKey: c.APIKey, APISecret: c.APISecret, WebhookURL: webhookURL,
		WebhookSecret: secret, SettleAfter: settle, Chaos: chaos, Balance: c.Balance, Log: log})
}

// randomSecrets gives each test provider enabled without an explicit
// webhook secret a random one for this start, never a constant anyone could
// know: the sandbox inside serve (inside) signs with it, so nothing is
// lost; a test provider elsewhere does not know it, so its webhooks are
// refused until the secret it signs with is set, and payops says so.
func (c *sandboxConfig) randomSecrets(inside bool, log *slog.Logger) {
	if c.WebhookSecret == "" && (inside || c.BaseURL != "") {
		c.WebhookSecret = randomHex(32)
		if !inside {
			log.Warn("PAYOPS_SANDBOX_WEBHOOK_SECRET is not set: the sandbox's webhooks are verified with a random " +
				"secret and will be refused; set it to the secret the sandbox signs with")
		}
	}
	if c.DrillURL != "" && c.DrillWebhookSecret == "" {
		c.DrillWebhookSecret = randomHex(32)
		log.Warn("PAYOPS_DRILL_WEBHOOK_SECRET is not set: the drill provider's webhooks are verified with a random " +
			"secret and will be refused; payops drill --supervise sets it")
	}
}

// drillClient is payops' client of a drill's sandbox at baseURL, verifying
// its webhooks with secret.
func (c sandboxConfig) drillClient(baseURL, secret string) *nxtbanking.Client {
	return nxtbanking.NewClient(nxtbanking.Config{Name: payout.DrillProvider, BaseURL: baseURL, APIKey: c.APIKey,
		APISecret: c.APISecret, WebhookSecret: secret, Classify: sandbox.ClassifyFailure})
}

// startSandbox runs the sandbox provider in this process on addr and returns
// its base URL.
func startSandbox(ctx context.Context, addr, webhookURL string, cfg sandboxConfig, log *slog.Logger) (string, func(), error) {
	url, stop, err := serveOn(ctx, addr, cfg.newSandbox(webhookURL, cfg.WebhookSecret, 30*time.Second, nil, log))
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	log.Info("sandbox provider running", "addr", url, "seed", cfg.Seed)
	return url, stop, nil
}
func cmdSandbox(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	webhookURL := fs.String("webhook-url", "", "where to send signed webhooks (none when empty)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	sbc, err := loadSandboxConfig(getenv)
	if err != nil {
		return err
	}
	if *webhookURL != "" && sbc.WebhookSecret == "" {
		return errors.New("the sandbox signs its webhooks with PAYOPS_SANDBOX_WEBHOOK_SECRET: set it here and in payops " +
			"(there is no default secret)")
	}
	sb := sbc.newSandbox(*webhookURL, sbc.WebhookSecret, 30*time.Second, nil, log)
	log.Info("sandbox provider serving", "addr", "http://"+*addr, "seed", sbc.Seed)
	return listenAndServe(ctx, *addr, sb, nil)
}
