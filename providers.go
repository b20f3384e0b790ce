package main

import (
	"errors"
	"fmt"
	"strings"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/paywize"
	"payops/adapters/razorpayx"
	"payops/adapters/sandbox"
	"payops/adapters/xendit"
	"payops/payout"
	"payops/store"
)

// buildProviders returns the providers whose credentials are set, from
// PAYOPS_<PROVIDER>_* variables. A provider is enabled by its first
// credential; an enabled provider missing any other setting, its webhook
// secret above all, is an error: payops refuses to start rather than accept
// webhooks it cannot verify.
func buildProviders(getenv func(string) string, sb sandboxConfig) (adapters.Registry, error) {
	reg := adapters.Registry{}
	var errs []error
	need := func(provider string, names ...string) bool {
		ok := true
		for _, n := range names {
			if getenv(n) == "" {
				errs = append(errs, fmt.Errorf("%s is enabled but %s is not set", provider, n))
				ok = false
			}
		}
		return ok
	}
	// The test providers exist only when enabled, and never with a secret
	// anyone could know by default (sandboxConfig.randomSecrets), nor none.
	if (sb.BaseURL != "" && sb.WebhookSecret == "") || (sb.DrillURL != "" && sb.DrillWebhookSecret == "") {
		errs = append(errs, errors.New("a test provider without a webhook secret: set PAYOPS_SANDBOX_WEBHOOK_SECRET "+
			"or PAYOPS_DRILL_WEBHOOK_SECRET"))
	}
	if sb.BaseURL != "" {
		reg[payout.SandboxProvider] = nxtbanking.NewClient(nxtbanking.Config{Name: payout.SandboxProvider, BaseURL: sb.BaseURL,
			APIKey: sb.APIKey, APISecret: sb.APISecret, WebhookSecret: sb.WebhookSecret,
			Classify: sandbox.ClassifyFailure, Balance: true})
	}
	if sb.DrillURL != "" {
		// Failure drills' provider run by payops drill --supervise: the
		// sandbox in chaos mode, by its own name.
		reg[payout.DrillProvider] = sb.drillClient(sb.DrillURL, sb.DrillWebhookSecret)
	}
	if getenv("PAYOPS_NXTBANKING_API_KEY") != "" &&
		need("nxtbanking", "PAYOPS_NXTBANKING_API_SECRET", "PAYOPS_NXTBANKING_WEBHOOK_SECRET") {
		reg["nxtbanking"] = nxtbanking.NewClient(nxtbanking.Config{
			BaseURL: or(getenv("PAYOPS_NXTBANKING_BASE_URL"), "https://api.nxtbanking.com"),
			APIKey:  getenv("PAYOPS_NXTBANKING_API_KEY"), APISecret: getenv("PAYOPS_NXTBANKING_API_SECRET"),
			WebhookSecret: getenv("PAYOPS_NXTBANKING_WEBHOOK_SECRET")})
	}
	if getenv("PAYOPS_RAZORPAYX_KEY_ID") != "" &&
		need("razorpayx", "PAYOPS_RAZORPAYX_KEY_SECRET", "PAYOPS_RAZORPAYX_ACCOUNT_NUMBER", "PAYOPS_RAZORPAYX_WEBHOOK_SECRET") {
		var secrets []string
		for _, s := range strings.Split(getenv("PAYOPS_RAZORPAYX_WEBHOOK_SECRET"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				secrets = append(secrets, s)
			}
		}
		reg["razorpayx"] = razorpayx.NewClient(razorpayx.Config{
			BaseURL: or(getenv("PAYOPS_RAZORPAYX_BASE_URL"), "https://api.razorpay.com"),
			KeyID:   getenv("PAYOPS_RAZORPAYX_KEY_ID"), KeySecret: getenv("PAYOPS_RAZORPAYX_KEY_SECRET"),
			AccountNumber: getenv("PAYOPS_RAZORPAYX_ACCOUNT_NUMBER"), WebhookSecrets: secrets})
	}
	if getenv("PAYOPS_XENDIT_SECRET_KEY") != "" && need("xendit", "PAYOPS_XENDIT_CALLBACK_TOKEN") {
		reg["xendit"] = xendit.NewClient(xendit.Config{
			BaseURL:   or(getenv("PAYOPS_XENDIT_BASE_URL"), "https://api.xendit.co"),
			SecretKey: getenv("PAYOPS_XENDIT_SECRET_KEY"), CallbackToken: getenv("PAYOPS_XENDIT_CALLBACK_TOKEN")})
	}
	// Paywize sends a payout's webhooks to the callback_url of its request
	// (seed 001: "Required Field in Payout Request"): without one no
	// webhook would come, and only re-checks would learn outcomes.
	if getenv("PAYOPS_PAYWIZE_API_KEY") != "" && need("paywize", "PAYOPS_PAYWIZE_SECRET_KEY", "PAYOPS_PAYWIZE_WEBHOOK_SECRET",
		"PAYOPS_PAYWIZE_CALLBACK_URL") {
		c, err := paywize.NewClient(paywize.Config{
			BaseURL: or(getenv("PAYOPS_PAYWIZE_BASE_URL"), "https://merchant.paywize.in"),
			APIKey:  getenv("PAYOPS_PAYWIZE_API_KEY"), SecretKey: getenv("PAYOPS_PAYWIZE_SECRET_KEY"),
			WebhookSecret: getenv("PAYOPS_PAYWIZE_WEBHOOK_SECRET"), WalletID: getenv("PAYOPS_PAYWIZE_WALLET_ID"),
			CallbackURL: getenv("PAYOPS_PAYWIZE_CALLBACK_URL")})
		if err != nil {
			errs = append(errs, err)
		} else {
			reg["paywize"] = c
		}
	}
	return reg, errors.Join(errs...)
}

// failureTables are each provider's failure table by name, configured or
// not: a payout of a provider payops has no credentials for (demo data, one
// switched off since) is classified all the same. The sandbox and drills
// are NxtBanking-shaped with the sandbox's codes.
var failureTables = map[string]func(string) payout.FailureClass{
	"nxtbanking": nxtbanking.ClassifyFailure, "paywize": paywize.ClassifyFailure, "razorpayx": razorpayx.ClassifyFailure,
	"xendit": xendit.ClassifyFailure, "sandbox": sandbox.ClassifyFailure, payout.DrillProvider: sandbox.ClassifyFailure,
}

// classifyFailure classifies a failure code by the configured client's
// table, else by the provider's own.
func classifyFailure(reg adapters.Registry) store.Classifier {
	return func(provider, code string) payout.FailureClass {
		if _, err := reg.Get(provider); err == nil {
			return reg.ClassifyFailure(provider, code)
		}
		if table, ok := failureTables[provider]; ok && code != "" {
			return table(code)
		}
		return payout.FailUnknown
	}
}
