package payout

// Livemode reports whether a payout sent to provider is live, moving money,
// or a test payout (false): the sandbox's and the drill provider's. It is
// decided once, at intake, and kept on the payout (payouts.livemode), as
// Stripe's livemode. Test payouts are left out of every real view (totals,
// the stuck list, the holds queue, reconciliation, metrics) and their events
// go only to test webhook endpoints; the "View test data" switch shows them
// instead.
func Livemode(provider string) bool { return !IsTestProvider(provider) }
