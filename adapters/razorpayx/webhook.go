package razorpayx

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"payops/adapters"
)

// RetryWindow is how long RazorpayX retries a webhook it could not deliver:
// 24 hours (its webhook documentation).
const RetryWindow = 24 * time.Hour

// Webhook verifies X-Razorpay-Signature (hex HMAC-SHA256 of the raw body,
// under any configured secret), then parses the event envelope. The event
// has no ID (see below). payout.updated carries the entity's
// status; downtime events are not about one payout and are ignored. The
// envelope's created_at, when present, is the event's MadeAt — when the
// event was made, which every retry of it keeps — with RetryWindow as its
// Retries (ErrTimestamp when it is not unix seconds).
func (c *Client) Webhook(h http.Header, body []byte) (adapters.Event, error) {
	secrets := make([][]byte, 0, len(c.cfg.WebhookSecrets))
	for _, s := range c.cfg.WebhookSecrets {
		secrets = append(secrets, []byte(s))
	}
	if !adapters.VerifyHMACHex(secrets, body, h.Get("X-Razorpay-Signature")) {
		return adapters.Event{}, adapters.ErrSignature
	}
	var env struct {
		Entity    string          `json:"entity"`
		Event     string          `json:"event"`
		CreatedAt json.RawMessage `json:"created_at"` // unix seconds: when the event was made
		Payload   struct {
			Payout *struct {
				Entity Payout `json:"entity"`
			} `json:"payout"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	// No ID: X-Razorpay-Event-Id is outside the signature, so a signed body
	// sent again under a new id would pass as a new event. The endpoint
	// dedupes on the body's hash and keeps the header among the headers.
	ev := adapters.Event{Type: env.Event, Payload: body}
	if len(env.CreatedAt) > 0 && string(env.CreatedAt) != "null" {
		secs, err := strconv.ParseInt(string(env.CreatedAt), 10, 64)
		if err != nil {
			return adapters.Event{}, fmt.Errorf("%w: created_at %s is not unix seconds", adapters.ErrTimestamp,
				adapters.Clip(string(env.CreatedAt), 64))
		}
		ev.MadeAt, ev.Retries = time.Unix(secs, 0), RetryWindow
	}
	if !strings.HasPrefix(env.Event, "payout.") || strings.HasPrefix(env.Event, "payout.downtime.") {
		ev.Ignore = true
		if strings.HasPrefix(env.Event, "payout.downtime.") {
			ev.Downtime = parseDowntime(env.Event, body)
		}
		return ev, nil
	}
	if env.Payload.Payout == nil || env.Payload.Payout.Entity.ID == "" {
		return adapters.Event{}, adapters.Malformed("%s without payload.payout.entity", env.Event)
	}
	p := env.Payload.Payout.Entity
	obs, ok := p.observe()
	if !ok {
		return adapters.Event{}, adapters.Malformed("unknown payout status %q", p.Status)
	}
	ev.ReferenceID, ev.Observation = p.ReferenceID, obs
	return ev, nil
}

// parseDowntime reads a payout.downtime.started or .resolved event. The seed
// names the events and nothing of their body; the entity read here is
// payload["payout.downtime"].entity as RazorpayX's downtime entities are
// shaped (id, status, mode or method, begin, end, a message), each field
// optional: a notice with none of them still pauses (or resumes) every mode.
func parseDowntime(event string, body []byte) *adapters.Downtime {
	var env struct {
		Payload map[string]struct {
			Entity struct {
				ID      string          `json:"id"`
				Mode    string          `json:"mode"`
				Method  json.RawMessage `json:"method"`
				Begin   int64           `json:"begin"`
				End     int64           `json:"end"`
				Message string          `json:"message"`
				Text    string          `json:"downtime_message"`
			} `json:"entity"`
		} `json:"payload"`
	}
	json.Unmarshal(body, &env) // a body that is not this shape is a notice about every mode
	e := env.Payload["payout.downtime"].Entity
	d := &adapters.Downtime{ID: e.ID, Resolved: event == "payout.downtime.resolved", Mode: strings.ToUpper(e.Mode),
		Detail: cmp.Or(e.Message, e.Text)}
	if d.Mode == "" {
		var m string
		if json.Unmarshal(e.Method, &m) == nil {
			d.Mode = strings.ToUpper(m)
		}
	}
	switch {
	case d.Resolved && e.End > 0:
		d.At = time.Unix(e.End, 0)
	case !d.Resolved && e.Begin > 0:
		d.At = time.Unix(e.Begin, 0)
	}
	d.Detail = adapters.Clip(d.Detail, 200)
	return d
}
