package payout

import (
	"fmt"
	"time"
)

// DefaultWebhookTolerance is how far a webhook's own send time may be from
// the time it arrives, either way, when PAYOPS_WEBHOOK_TOLERANCE is unset.
const DefaultWebhookTolerance = 5 * time.Minute

// SentOutside returns why a webhook delivery that says it was sent at sent
// is refused when it arrives at now: it was sent more than tolerance before
// now (an old body replayed, or a late retry, whose outcome the stale
// re-check asks the provider for), or it claims a time more than tolerance
// after now. It returns "" when sent is within tolerance of now either way,
// and when sent is zero: the provider gave no time.
func SentOutside(sent, now time.Time, tolerance time.Duration) string {
	if sent.IsZero() {
		return ""
	}
	switch age := now.Sub(sent); {
	case age > tolerance:
		return fmt.Sprintf("sent %s, %s before it arrived: more than the tolerance of %s",
			sent.UTC().Format(time.RFC3339), age.Round(time.Second), tolerance)
	case -age > tolerance:
		return fmt.Sprintf("sent %s, %s after it arrived: more than the tolerance of %s",
			sent.UTC().Format(time.RFC3339), (-age).Round(time.Second), tolerance)
	}
	return ""
}

// MadeOutside is SentOutside for a time the provider gave its event when
// it made it, which its retries keep (RazorpayX's created_at): a genuine
// retry arrives up to retries after it, so the event is refused only when
// it is older than retries and the tolerance together — a body replayed
// from longer ago — or claims a time more than tolerance after now. A body
// replayed within that window is the same body: the endpoint's dedupe, and
// the transition rule for an older state, make it harmless.
func MadeOutside(made, now time.Time, tolerance, retries time.Duration) string {
	if made.IsZero() {
		return ""
	}
	switch age := now.Sub(made); {
	case age > retries+tolerance:
		return fmt.Sprintf("made %s, %s before it arrived: longer ago than the provider retries (%s) and the tolerance of %s",
			made.UTC().Format(time.RFC3339), age.Round(time.Second), retries, tolerance)
	case -age > tolerance:
		return fmt.Sprintf("made %s, %s after it arrived: more than the tolerance of %s",
			made.UTC().Format(time.RFC3339), (-age).Round(time.Second), tolerance)
	}
	return ""
}
