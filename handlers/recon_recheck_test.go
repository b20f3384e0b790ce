package handlers

import (
	"testing"

	"payops/jobs"
	"payops/payout"
	"payops/store"
)

// A difference's Re-check that could not ask the provider does not read
// as if the status were its answer.
func TestRecheckResultSaysWhetherTheProviderAnswered(t *testing.T) {
	processing := store.Payout{Status: payout.Processing}
	for _, c := range []struct {
		res  jobs.Result
		want string
	}{
		{jobs.Result{Payout: processing, Message: "could not ask the provider: provider not configured: razorpayx"},
			"Could not ask the provider: provider not configured: razorpayx. Still PROCESSING in payops."},
		{jobs.Result{Payout: store.Payout{Status: payout.Succeeded}, Decision: payout.Apply, Message: "moved to SUCCEEDED"},
			"Now SUCCEEDED. Moved to SUCCEEDED"},
	} {
		if got := recheckResult(c.res); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}
