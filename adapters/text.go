package adapters

import "payops/payout"

// CheckText returns ErrMalformed, naming the field, when the raw body, or
// any part of a verified event that payops keeps in a text column, is not
// valid UTF-8 or holds NUL: PostgreSQL refuses such text, and a body it
// refuses must be answered 400 once, not 503 for the provider to retry for
// days. JSON can carry NUL as \u0000 in a body that is itself clean text,
// and a header (Paywize's event name) can carry bytes that are not UTF-8.
func CheckText(body []byte, ev Event) error {
	fields := []struct{ name, value string }{
		{"body", string(body)}, {"payload", string(ev.Payload)}, {"event id", ev.ID}, {"event type", ev.Type},
		{"reference id", ev.ReferenceID}, {"provider payout id", ev.Observation.ProviderPayoutID},
		{"status", ev.Observation.RawStatus}, {"UTR", ev.Observation.UTR},
		{"failure code", ev.Observation.FailureCode}, {"failure reason", ev.Observation.FailureReason},
	}
	if d := ev.Downtime; d != nil {
		// Recorded before the delivery: a field PostgreSQL refuses would be
		// answered 503, and retried by the provider for days.
		fields = append(fields, []struct{ name, value string }{{"downtime id", d.ID}, {"downtime mode", d.Mode},
			{"downtime detail", d.Detail}}...)
	}
	for _, f := range fields {
		if !payout.IsText(f.value) {
			return Malformed("the %s is not UTF-8 text or holds NUL", f.name)
		}
	}
	return nil
}
