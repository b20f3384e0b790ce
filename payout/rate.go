package payout

import "fmt"

// SettledOutcomes are the states a success rate counts: the outcomes a
// provider decided. SUCCEEDED is a success; FAILED and REVERSED (paid, then
// returned) are not. Payouts still HELD, QUEUED or PROCESSING have no outcome
// yet, and CANCELLED ones were stopped by compliance before any provider saw
// them: neither counts.
var SettledOutcomes = []Status{Succeeded, Failed, Reversed}

// Rate is a success rate: of the payouts with a settled outcome, how many
// succeeded.
type Rate struct {
	Succeeded, Settled int64
}

// SuccessRate returns the success rate of payouts counted by state:
// SUCCEEDED over SUCCEEDED, FAILED and REVERSED.
func SuccessRate(byStatus map[Status]int64) Rate {
	var r Rate
	for _, s := range SettledOutcomes {
		r.Settled += byStatus[s]
	}
	r.Succeeded = byStatus[Succeeded]
	return r
}

// Permille returns the rate in tenths of a per cent, rounded down (so 1000
// means none failed), and false when nothing has settled.
func (r Rate) Permille() (int64, bool) {
	if r.Settled <= 0 {
		return 0, false
	}
	return r.Succeeded * 1000 / r.Settled, true
}

// String says the rate for people to one decimal, rounded down: "97.3%";
// "—" when nothing has settled.
func (r Rate) String() string {
	p, ok := r.Permille()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%d.%d%%", p/10, p%10)
}
