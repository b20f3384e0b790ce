package views

// Providers is the providers' health page: one card a provider.
type Providers struct {
	Meta
	Rows []ProviderRow
	// Window says what the figures cover, in words.
	Window string
}

// ProviderRow is one provider's health.
type ProviderRow struct {
	Name       string
	State      string // up, degraded, down, paused, idle
	StateWhy   string // why, in a sentence
	Calls      string // "1,204 calls in the last hour"
	Success    string // "98.5%" or "—"
	Latency    string // "mean 120 ms · slowest 900 ms" or "—"
	Failures   string // "transient 20 · request 3", or "none"
	Webhook    string // "3 min ago" or "none in 3 days"
	Webhooks   string // "120 in 24 h"
	Rejected   string // "3 refused in 24 h" or ""
	Pauses     []string
	Breaker    string // "closed" or "open: ..." or "2 transient failures in a row"
	HasBalance bool
	Balance    string // "₹1,20,000.00"
	BalanceAt  string // "read 2 min ago"
	Outflow    string // "₹40,000.00 a day (last 7 days)"
	BalanceLow bool
	BalanceMsg string // why there is no balance, or what to do
}
