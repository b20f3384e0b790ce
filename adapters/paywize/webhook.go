package paywize

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"payops/adapters"
)

// Webhook verifies X-Paywize-Signature ("sha256=" + hex HMAC-SHA256 of the
// raw body with the webhook secret), then decrypts the "data" (or "payload")
// field and parses the transaction. The event's payload is the decrypted
// JSON, for the evidence pack. X-Paywize-Timestamp (unix seconds) is
// required: ErrTimestamp when it is missing or unreadable. It is the event's
// HeaderSentAt; the signature does not cover it, so the decrypted
// timestamps.webhook_sent_at, which it does, is the SentAt when present.
func (c *Client) Webhook(h http.Header, body []byte) (adapters.Event, error) {
	sig, ok := strings.CutPrefix(h.Get("X-Paywize-Signature"), "sha256=")
	if !ok || !adapters.VerifyHMACHex([][]byte{[]byte(c.cfg.WebhookSecret)}, body, sig) {
		return adapters.Event{}, adapters.ErrSignature
	}
	ts := h.Get("X-Paywize-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return adapters.Event{}, fmt.Errorf("%w: X-Paywize-Timestamp %q is not unix seconds", adapters.ErrTimestamp,
			adapters.Clip(ts, 64))
	}
	ev, err := c.parseWebhook(h, body)
	if err != nil {
		return adapters.Event{}, err
	}
	ev.HeaderSentAt = time.Unix(secs, 0)
	return ev, nil
}

func (c *Client) parseWebhook(h http.Header, body []byte) (adapters.Event, error) {
	var env struct {
		Data    string `json:"data"`
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	enc := env.Data
	if enc == "" {
		enc = env.Payload
	}
	if enc == "" {
		return adapters.Event{}, adapters.Malformed("neither data nor payload")
	}
	plain, err := c.Decrypt(enc)
	if err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	var t Transaction
	if err := json.Unmarshal(plain, &t); err != nil {
		return adapters.Event{}, adapters.Malformed("decrypted data: %v", err)
	}
	sent, err := webhookSentAt(plain)
	if err != nil {
		return adapters.Event{}, err
	}
	evType := h.Get("X-Paywize-Event")
	if informational[strings.ToUpper(t.Status)] {
		return adapters.Event{Type: evType, Ignore: true, Payload: plain, SentAt: sent}, nil
	}
	if t.TransactionID == "" && t.Reference() == "" {
		return adapters.Event{}, adapters.Malformed("neither transaction_id nor sender_id")
	}
	obs, ok := t.observe()
	if !ok {
		return adapters.Event{}, adapters.Malformed("unknown payout status %q", t.Status)
	}
	if obs.Amount, err = t.amount(); err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	if evType == "" {
		evType = "payout." + strings.ToLower(t.Status)
	}
	return adapters.Event{Type: evType, ReferenceID: t.Reference(), Observation: obs, Payload: plain, SentAt: sent}, nil
}

// webhookSentAt reads the decrypted webhook's timestamps.webhook_sent_at
// (RFC 3339): zero when it is absent, ErrTimestamp when it cannot be read.
func webhookSentAt(plain []byte) (time.Time, error) {
	var w struct {
		Timestamps struct {
			WebhookSentAt string `json:"webhook_sent_at"`
		} `json:"timestamps"`
	}
	if err := json.Unmarshal(plain, &w); err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamps: %v", adapters.ErrTimestamp, err)
	}
	s := w.Timestamps.WebhookSentAt
	if s == "" {
		return time.Time{}, nil
	}
	sent, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamps.webhook_sent_at %q is not RFC 3339", adapters.ErrTimestamp,
			adapters.Clip(s, 64))
	}
	return sent.UTC(), nil // RFC 3339 allows offsets PostgreSQL refuses (past 15:59)
}
