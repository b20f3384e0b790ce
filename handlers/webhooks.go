package handlers

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// WebhookStore is what the webhook endpoint writes.
type WebhookStore interface {
	RecordDelivery(ctx context.Context, d store.Delivery) (int64, error)
	IngestWebhook(ctx context.Context, d store.Delivery, ev store.WebhookEvent) (store.Ingested, error)
}

// Webhooks receives providers' webhook deliveries.
type Webhooks struct {
	Store     WebhookStore
	Providers adapters.Registry
	Log       *slog.Logger
	// Tolerance is how far a delivery's own send time may be from Now,
	// either way (payout.DefaultWebhookTolerance when zero).
	Tolerance time.Duration
	Now       func() time.Time // time.Now when nil
	// Counter, when not nil, counts every delivery from a known provider
	// by its outcome ("error" when it could not be stored).
	Counter DeliveryCounter
	// Downtimes, when not nil, records providers' downtime notices, which
	// pause submissions (for MaxPause at most).
	Downtimes DowntimeRecorder
	MaxPause  time.Duration

	refusedOnce sync.Once
	refused     *RateLimiter[string] // refused deliveries kept, per provider
}

// Refused deliveries — a bad signature or send time, a body too large —
// come from anyone who can reach the endpoint. Each is kept as evidence
// up to refusedPerSecond a provider (a burst of refusedBurst); past that
// they are counted (payops_webhook_deliveries_total) and answered as
// before but neither stored nor logged, so a flood of forgeries fills
// neither the database nor the log.
const (
	refusedPerSecond = 1
	refusedBurst     = 60
)

// keepRefused reports whether a refused delivery of provider is kept: the
// signed ones (a send time out of bounds) count apart from the unsigned,
// so a flood of forgeries does not hide a provider's genuine late ones.
func (h *Webhooks) keepRefused(provider string, signed bool) bool {
	h.refusedOnce.Do(func() { h.refused = NewRateLimiter[string]() })
	key := provider
	if signed {
		key += "/signed"
	}
	ok, _ := h.refused.Allow(key, refusedPerSecond, refusedBurst, time.Now())
	return ok
}

// recordRefused stores a refused delivery and logs it, while keepRefused
// allows; past that it only counts it.
func (h *Webhooks) recordRefused(ctx context.Context, d store.Delivery, reason string) {
	if !h.keepRefused(d.Provider, d.Verified) {
		h.count(d.Provider, d.Outcome)
		return
	}
	h.record(ctx, d)
	h.Log.Warn("webhook refused", "provider", d.Provider, "outcome", d.Outcome, "reason", reason,
		"request_id", RequestID(ctx))
}

// DowntimeRecorder records a provider's downtime notice.
type DowntimeRecorder interface {
	RecordDowntime(ctx context.Context, d store.Downtime, maxPause time.Duration) error
}

// DefaultMaxPause is how long a downtime notice pauses a provider at most
// when MaxPause is zero (PAYOPS_DOWNTIME_MAX_PAUSE).
const DefaultMaxPause = 3 * time.Hour

// DeliveryCounter counts webhook deliveries by provider and outcome.
type DeliveryCounter interface {
	Delivered(provider, outcome string)
}

func (h *Webhooks) count(provider, outcome string) {
	if h.Counter != nil {
		h.Counter.Delivered(provider, outcome)
	}
}

const maxWebhookBody = 1 << 20

// refusedBodyKept is how much of a refused delivery's body is stored: enough
// to see what it was, too little for an anonymous sender to fill the disk.
const refusedBodyKept = 4 << 10

// keepStart keeps only the first refusedBodyKept bytes of d's body, and its
// whole length.
func keepStart(d *store.Delivery) {
	d.BodyLength = max(d.BodyLength, int64(len(d.Body)))
	if len(d.Body) > refusedBodyKept {
		d.Body = d.Body[:refusedBodyKept]
	}
}

// Receive handles POST /webhooks/{provider}. Every delivery is stored. A
// missing or bad signature is 401 and changes nothing, and so is a signed
// delivery whose send time is missing where required, unreadable or
// further from now than the tolerance; a signed body that cannot be parsed,
// or is not UTF-8 text, or holds NUL (itself or in a parsed field), is 400
// and kept as bytes; otherwise the event is deduped, matched and
// applied in one transaction and the answer is 200 — also for duplicates,
// stale events and orphans, so the provider stops retrying. Only a database
// failure answers 503, so the provider retries. No provider is called.
func (h *Webhooks) Receive(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("provider")
	prov, err := h.Providers.Get(name)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown provider " + name})
		return
	}
	ctx := r.Context()
	d := store.Delivery{Provider: name, Headers: evidenceHeaders(r.Header)}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		d.Outcome, d.Detail = store.OutcomeMalformed, "body over 1 MiB or unreadable; its start kept"
		d.Body, d.BodyLength = body, r.ContentLength // the length it claimed, when it did
		keepStart(&d)
		h.recordRefused(ctx, d, "body")
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body over 1 MiB", "outcome": d.Outcome})
		return
	}
	d.Body = body
	ev, err := h.verify(prov, r.Header, body)
	if err != nil {
		h.refuse(ctx, w, d, err)
		return
	}
	d.Payload = string(ev.Payload)
	id := ev.ID
	if id == "" {
		sum := sha256.Sum256(body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	// Before the delivery is stored: a failure answers 503 and the
	// provider's retry records the notice (recording it twice is harmless).
	if dt := ev.Downtime; dt != nil && h.Downtimes != nil {
		err := h.Downtimes.RecordDowntime(ctx, store.Downtime{Provider: name, ID: dt.ID, Resolved: dt.Resolved, Mode: dt.Mode,
			Detail: dt.Detail, At: dt.At, EventID: id}, cmp.Or(h.MaxPause, DefaultMaxPause))
		if err != nil {
			h.Log.Error("downtime notice not recorded; the provider will retry", "provider", name,
				"request_id", RequestID(ctx), "err", err)
			h.count(name, "error")
			WebhookUnavailable(w, r)
			return
		}
		h.Log.Warn("provider downtime", "provider", name, "resolved", dt.Resolved, "mode", dt.Mode, "downtime_id", dt.ID)
	}
	res, err := h.Store.IngestWebhook(ctx, d, store.WebhookEvent{ID: id, Type: ev.Type, Ignore: ev.Ignore,
		ProviderPayoutID: ev.Observation.ProviderPayoutID, ReferenceID: ev.ReferenceID, Observation: ev.Observation})
	if err != nil {
		h.Log.Error("webhook not stored; the provider will retry", "provider", name, "request_id", RequestID(ctx),
			"err", err)
		h.count(name, "error")
		WebhookUnavailable(w, r)
		return
	}
	h.Log.Info("webhook", "provider", name, "event", ev.Type, "outcome", res.Outcome, "payout_ref", res.PayoutRef,
		"request_id", RequestID(ctx))
	h.count(name, res.Outcome)
	writeJSON(w, http.StatusOK, map[string]any{"status": "accepted", "outcome": res.Outcome, "delivery_id": res.DeliveryID})
}

// verify has the provider verify and parse the delivery, then refuses one
// sent too far from now or holding what cannot be stored as text.
func (h *Webhooks) verify(prov adapters.Provider, header http.Header, body []byte) (adapters.Event, error) {
	ev, err := prov.Webhook(header, body)
	if err == nil {
		err = h.checkSentAt(ev)
	}
	if err == nil {
		err = adapters.CheckText(body, ev)
	}
	return ev, err
}

// refuse stores and answers a delivery that verify refused: 401 for a bad
// signature or send time, keeping the body's first 4 KiB; 400 for a signed
// body that cannot be parsed or stored as text, kept whole as bytes.
func (h *Webhooks) refuse(ctx context.Context, w http.ResponseWriter, d store.Delivery, err error) {
	d.Detail = err.Error()
	switch {
	case errors.Is(err, adapters.ErrSignature):
		d.Outcome = store.OutcomeRejected
		keepStart(&d)
		h.recordRefused(ctx, d, "signature")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "signature missing or invalid", "outcome": d.Outcome})
	case errors.Is(err, adapters.ErrTimestamp):
		// Signed, but its time is missing, unreadable or too far from ours:
		// a replay or a late retry. A genuine outcome refused here is found
		// by the stale re-check, which asks the provider.
		d.Verified, d.Outcome = true, store.OutcomeRejected
		keepStart(&d)
		h.recordRefused(ctx, d, "timestamp")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": adapters.ErrTimestamp.Error(), "outcome": d.Outcome})
	default:
		d.Verified, d.Outcome = true, store.OutcomeMalformed
		h.record(ctx, d)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed: " + err.Error(), "outcome": d.Outcome})
	}
}

// checkSentAt refuses, with ErrTimestamp, an event whose send times are
// further from now than the tolerance allows.
func (h *Webhooks) checkSentAt(ev adapters.Event) error {
	now, tol := time.Now(), h.Tolerance
	if h.Now != nil {
		now = h.Now()
	}
	if tol == 0 {
		tol = payout.DefaultWebhookTolerance
	}
	for _, at := range []struct {
		name string
		t    time.Time
	}{{"signed time", ev.SentAt}, {"header time", ev.HeaderSentAt}} {
		if why := payout.SentOutside(at.t, now, tol); why != "" {
			return fmt.Errorf("%w: %s %s", adapters.ErrTimestamp, at.name, why)
		}
	}
	if why := payout.MadeOutside(ev.MadeAt, now, tol, ev.Retries); why != "" {
		return fmt.Errorf("%w: event time %s", adapters.ErrTimestamp, why)
	}
	return nil
}

func (h *Webhooks) record(ctx context.Context, d store.Delivery) {
	d.Detail = payout.StorableText(d.Detail)
	if _, err := h.Store.RecordDelivery(ctx, d); err != nil {
		h.Log.Error("webhook delivery not recorded", "provider", d.Provider, "request_id", RequestID(ctx), "err", err)
	}
	h.count(d.Provider, d.Outcome)
}

// evidenceHeaders keeps the headers that explain a delivery. Xendit's
// x-callback-token is a shared secret: only whether it was present is kept.
// An anonymous sender chooses these as it chooses the body, so they are
// bounded as the refused body is: at most maxEvidenceHeaders of them, each
// value clipped to evidenceHeaderKept bytes (in name order, so which are
// kept does not depend on the map's order).
func evidenceHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if len(out) == maxEvidenceHeaders {
			break
		}
		lk := strings.ToLower(k)
		switch {
		case lk == "x-callback-token":
			out[k] = "(present, not stored)"
		case lk == "content-type" || lk == "user-agent" || strings.HasPrefix(lk, "x-razorpay-") ||
			strings.HasPrefix(lk, "x-paywize-") || strings.HasPrefix(lk, "x-nxtb-") || lk == "webhook-id":
			v := strings.Join(h[k], ", ")
			if len(v) > evidenceHeaderKept {
				v = v[:evidenceHeaderKept] + "…"
			}
			out[k] = payout.StorableText(v)
		}
	}
	return out
}

// What of a delivery's headers is kept: with the 4 KiB of a refused body,
// a refused delivery stores a few KiB whatever was sent.
const (
	maxEvidenceHeaders = 12
	evidenceHeaderKept = 256
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WebhookUnavailable answers a provider's delivery that was not stored (the
// database refusing, or not answering in time): 503 with Retry-After, so
// the provider retries it.
func WebhookUnavailable(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily unavailable; retry"})
}
