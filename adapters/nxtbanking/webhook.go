package nxtbanking

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"payops/adapters"
)

// Webhook verifies X-NxtB-Signature on the raw body, then parses the event.
// The status comes from the "status" field, or from the event name; the
// event's SentAt from "timestamp" when there is one (ErrTimestamp when it is
// not RFC 3339).
func (c *Client) Webhook(h http.Header, body []byte) (adapters.Event, error) {
	if !Verify([]byte(c.cfg.WebhookSecret), body, h.Get("X-NxtB-Signature")) {
		return adapters.Event{}, adapters.ErrSignature
	}
	var res PayoutResource
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&res); err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	// The signed "timestamp" is the delivery's send time (absent in some of
	// the documented samples: then none is checked).
	var sent time.Time
	if res.Timestamp != "" {
		var err error
		if sent, err = time.Parse(time.RFC3339, res.Timestamp); err != nil {
			return adapters.Event{}, fmt.Errorf("%w: timestamp %q is not RFC 3339", adapters.ErrTimestamp,
				adapters.Clip(res.Timestamp, 64))
		}
		sent = sent.UTC() // RFC 3339 allows offsets PostgreSQL refuses (past 15:59)
	}
	if dt := downtime(res.Event, body, sent); dt != nil {
		return adapters.Event{Type: res.Event, Ignore: true, Downtime: dt, Payload: body, SentAt: sent}, nil
	}
	if res.PayoutID == "" && res.ReferenceID == "" {
		return adapters.Event{}, adapters.Malformed("neither payout_id nor reference_id")
	}
	raw := res.Status
	if raw == "" {
		raw, _ = strings.CutPrefix(res.Event, "payout.")
	}
	obs, err := c.observe(res, raw)
	if err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	return adapters.Event{Type: res.Event, ReferenceID: res.ReferenceID, Observation: obs, Payload: body,
		SentAt: sent}, nil
}

// Downtime events are a sandbox extension of NxtBanking's webhooks: seed
// 000 documents none. The sandbox announces an outage the way RazorpayX
// does (seed 003: payout.downtime.started, "do not initiate a payout";
// payout.downtime.resolved), in NxtBanking's flat shape:
//
//	{"event": "payout.downtime.started", "downtime_id": "sbx_down_1", "mode": "IMPS",
//	 "message": "...", "timestamp": "2026-02-26T10:30:00Z"}
//
// every field but "event" optional; no mode is every mode.
const (
	eventDowntimeStarted  = "payout.downtime.started"
	eventDowntimeResolved = "payout.downtime.resolved"
)

// downtime reads a downtime notice from a verified body, or returns nil
// when the event is not one; at is the body's "timestamp" (zero when
// absent), taken as when the downtime began or was resolved.
func downtime(event string, body []byte, at time.Time) *adapters.Downtime {
	if event != eventDowntimeStarted && event != eventDowntimeResolved {
		return nil
	}
	var n struct {
		ID      string `json:"downtime_id"`
		Mode    string `json:"mode"`
		Message string `json:"message"`
	}
	json.Unmarshal(body, &n) // already decoded once; a field of another type is left out, the others kept
	return &adapters.Downtime{ID: adapters.Clip(n.ID, 100), Resolved: event == eventDowntimeResolved,
		Mode: strings.ToUpper(strings.TrimSpace(n.Mode)), Detail: adapters.Clip(n.Message, 200), At: at}
}

// Sign returns the X-NxtB-Signature of a webhook body: the lowercase hex
// HMAC-SHA256 of the raw bytes with the webhook secret.
func Sign(secret, body []byte) string { return adapters.HMACHex(secret, body) }

// Verify reports whether sig is the signature of body with secret, in
// constant time. An empty secret verifies nothing.
func Verify(secret, body []byte, sig string) bool {
	return adapters.VerifyHMACHex([][]byte{secret}, body, sig)
}
