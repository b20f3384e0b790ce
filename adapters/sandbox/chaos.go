package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"payops/adapters/nxtbanking"
	"payops/payout"
)

// Chaos makes the sandbox misbehave the way providers do, for failure
// drills. Rates are per cent. Which payout or webhook is hit is decided from
// the seed and the payout id, so a drill repeats; API calls are hit in turn.
type Chaos struct {
	DropWebhooks      int           // webhooks never sent
	DuplicateWebhooks int           // webhooks sent two to four times
	ReorderWebhooks   bool          // the PROCESSING webhook arrives after the final one
	DelayWebhooks     time.Duration // each webhook up to this much late
	ForgeWebhooks     int           // payouts that also get a webhook with a bad signature claiming FAILED
	ReplayWebhooks    int           // payouts whose first webhook is sent again, later
	APIErrors         int           // API calls answered 500 or 429, nothing done
	APITimeouts       int           // API calls done, then not answered until the caller gives up
	SlowAPI           time.Duration // API calls take up to this long
	InsufficientFunds int           // payouts refused for insufficient balance
	ReverseAfter      time.Duration // reversals: SUCCESS first, REVERSED this long after settling
	// Underpay is the payouts whose amount the sandbox states a tenth
	// smaller than it was sent (at least one minor unit), in its answers and
	// its webhooks alike: an underpayment payops must open a case for.
	Underpay int
	// Downtime is an outage announced RazorpayX-style (seed 003): when the
	// drill starts (Server.Start) the sandbox sends a signed
	// payout.downtime.started, answers payout creates 503 for this long,
	// then sends payout.downtime.resolved and works again. DowntimeMode
	// is the mode it affects ("IMPS"); empty is every mode.
	Downtime     time.Duration
	DowntimeMode string
}

// Counts are what the sandbox did, for a drill's report.
type Counts struct {
	Created, Refused                                    int64
	WebhooksSent, Dropped, Duplicated, Forged, Replayed int64
	// ForgedAccepted are forged webhooks payops answered 2xx: taken in,
	// when each must be refused (401).
	ForgedAccepted         int64
	APIErrors, APITimeouts int64
	RateLimited            int64 // answered 429 for going over Config.RateLimit
	// Downtime (Chaos.Downtime): notices acknowledged by payops, creates
	// answered 503 for the outage, and of those the creates that came
	// after payops acknowledged the start and before the resolution was
	// sent — payouts sent while payops was told to pause.
	DowntimeNotices, DowntimeErrors, SentWhilePaused int64
}

type counters struct {
	created, refused                            atomic.Int64
	sent, dropped, duplicated, forged, replayed atomic.Int64
	forgedAccepted                              atomic.Int64
	apiErrors, apiTimeouts, apiCalls            atomic.Int64
	rateLimited                                 atomic.Int64
	notices, downtimeErrors, sentWhilePaused    atomic.Int64
}

// Counts returns what the sandbox has done so far.
func (s *Server) Counts() Counts {
	c := &s.counts
	return Counts{Created: c.created.Load(), Refused: c.refused.Load(), WebhooksSent: c.sent.Load(),
		Dropped: c.dropped.Load(), Duplicated: c.duplicated.Load(), Forged: c.forged.Load(), Replayed: c.replayed.Load(),
		ForgedAccepted: c.forgedAccepted.Load(),
		APIErrors:      c.apiErrors.Load(), APITimeouts: c.apiTimeouts.Load(), RateLimited: c.rateLimited.Load(),
		DowntimeNotices: c.notices.Load(), DowntimeErrors: c.downtimeErrors.Load(), SentWhilePaused: c.sentWhilePaused.Load()}
}

// Truth is a payout as the sandbox holds it: what payops must end with.
type Truth struct {
	PayoutID string
	Status   string // the provider's word: SUCCESS, FAILED, PROCESSING, REVERSED, QUEUED
	UTR      string
	// Underpaid is set when the sandbox states a smaller amount than the
	// payout was sent for (Chaos.Underpay).
	Underpaid bool
}

// Truth returns every payout the sandbox was sent, by reference id, as it
// stands at now.
func (s *Server) Truth(now time.Time) map[string]Truth {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Truth, len(s.byRef))
	for ref, rec := range s.byRef {
		res := s.resource(rec, now)
		out[ref] = Truth{PayoutID: res.PayoutID, Status: res.Status, UTR: res.UTR, Underpaid: s.underpaid(rec)}
	}
	return out
}

// RefusedForFunds returns the reference ids the sandbox refused for
// insufficient funds, each at least once (a later attempt may have been
// accepted: then Truth has it too).
func (s *Server) RefusedForFunds() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.refused)
}

// Settled reports whether, at now, every payout the sandbox was sent is in
// its final state and every webhook it means to send has gone: from then on
// its truth does not change.
func (s *Server) Settled(now time.Time) bool {
	if s.unsent.Load() > 0 {
		return false
	}
	final := s.cfg.SettleAfter
	if c := s.cfg.Chaos; c != nil {
		final += c.ReverseAfter
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.byID {
		if now.Sub(rec.CreatedAt) < final {
			return false
		}
	}
	return true
}

// roll is a number in [0, 100) for one purpose and one key, from the seed.
func (s *Server) roll(purpose, key string) int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", s.cfg.Seed, purpose, key)
	return int(h.Sum64() % 100)
}

// chaotic wraps an API handler with the configured errors, timeouts and
// slowness. A timed-out call has done its work: the caller cannot know.
func (s *Server) chaotic(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.cfg.Chaos
		if c == nil {
			next(w, r)
			return
		}
		n := int(s.counts.apiCalls.Add(1))
		key := fmt.Sprint(n)
		if c.SlowAPI > 0 {
			sleep(r.Context(), time.Duration(s.roll("slow", key))*c.SlowAPI/100)
		}
		switch roll := s.roll("api", key); {
		case roll < c.APIErrors:
			s.counts.apiErrors.Add(1)
			if n%2 == 0 {
				w.Header().Set("Retry-After", "1")
				writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate limit exceeded"})
				return
			}
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		case roll < c.APIErrors+c.APITimeouts:
			s.counts.apiTimeouts.Add(1)
			// The body read to its end first: only then does the server
			// notice the caller hanging up and end r's context.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			next(httptest.NewRecorder(), r)
			sleep(r.Context(), time.Minute)
		default:
			next(w, r)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// webhook is one webhook the sandbox means to send: when, and what.
type webhook struct {
	at     time.Duration // after creation
	status string
	forged bool
	// stamp is the send time its body carries, after creation: at, except
	// for the copies of a duplicated webhook and a replayed one, which are
	// the first one's body byte for byte.
	stamp time.Duration
}

// webhooks plans a payout's webhooks under chaos: its states as they come,
// then dropped, duplicated, reordered, delayed, forged and replayed ones.
func (s *Server) webhooks(rec *record) []webhook {
	fate := FateOf(s.cfg.Seed, rec.PayoutID)
	settle := s.cfg.SettleAfter
	var plan []webhook
	switch {
	case rec.BadIFSC:
		plan = append(plan, webhook{at: settle, status: "FAILED"})
	case fate == Stuck:
		return nil // only a re-check finds out
	case fate == Reversal:
		if c := s.cfg.Chaos; c != nil && c.ReverseAfter > 0 {
			plan = append(plan, webhook{at: settle, status: "SUCCESS"}, webhook{at: settle + c.ReverseAfter, status: "REVERSED"})
		} else {
			plan = append(plan, webhook{at: settle, status: "REVERSED"})
		}
	default:
		plan = append(plan, webhook{at: settle, status: s.resource(rec, rec.CreatedAt.Add(settle)).Status})
	}
	c := s.cfg.Chaos
	if c == nil {
		for i := range plan {
			plan[i].stamp = plan[i].at
		}
		return plan
	}
	id := rec.PayoutID
	// A PROCESSING webhook on the way; reordered, it comes after the end.
	processing := webhook{at: settle / 2, status: "PROCESSING"}
	if c.ReorderWebhooks {
		processing.at = plan[len(plan)-1].at + settle/2 + time.Millisecond
	}
	plan = append([]webhook{processing}, plan...)
	var out []webhook
	for i, w := range plan {
		key := fmt.Sprintf("%s/%d", id, i)
		if c.DelayWebhooks > 0 {
			w.at += time.Duration(s.roll("delay", key)) * c.DelayWebhooks / 100
		}
		w.stamp = w.at
		plan[i] = w
		if s.roll("drop", key) < c.DropWebhooks {
			s.counts.dropped.Add(1)
			continue
		}
		copies := 1
		if s.roll("duplicate", key) < c.DuplicateWebhooks {
			copies += 1 + s.roll("copies", key)%3
			s.counts.duplicated.Add(int64(copies - 1))
		}
		for k := range copies {
			dup := w
			dup.at += time.Duration(k) * 5 * time.Millisecond
			out = append(out, dup)
		}
	}
	if s.roll("forge", id) < c.ForgeWebhooks {
		out = append(out, webhook{at: settle, status: "FAILED", forged: true, stamp: settle})
	}
	if s.roll("replay", id) < c.ReplayWebhooks && len(plan) > 0 {
		// The first webhook's body, as it was signed, sent again after the
		// last: the endpoint must take it as a duplicate, or refuse it as
		// too old.
		old := plan[0]
		old.at = max(plan[0].at, plan[len(plan)-1].at) + 2*settle + time.Millisecond
		out = append(out, old)
		s.counts.replayed.Add(1)
	}
	return out
}

// send posts one webhook for rec claiming status, signed (or not, when
// forged) as NxtBanking signs them, with the time it is sent (its stamp) in
// "timestamp" as NxtBanking's bodies carry it.
func (s *Server) send(rec *record, w webhook) {
	res := s.resource(rec, rec.CreatedAt.Add(w.stamp))
	res.Status = w.status
	if w.status != "SUCCESS" && w.status != "REVERSED" {
		res.UTR = ""
	}
	if w.status == "FAILED" && res.FailureReason == "" {
		res.FailureCode, res.FailureReason = FailureCode, FailureReason
	}
	msg := map[string]any{
		"event": "payout." + strings.ToLower(w.status), "payout_id": res.PayoutID, "reference_id": res.ReferenceID,
		"status": w.status, "utr": res.UTR, "amount": res.Amount, "failure_code": res.FailureCode, "failure_reason": res.FailureReason,
		"timestamp": rec.CreatedAt.Add(w.stamp).UTC().Format(time.RFC3339Nano),
	}
	if res.Currency != "" && res.Currency != "INR" {
		msg["currency"] = res.Currency
	}
	body, _ := json.Marshal(msg)
	secret := []byte(s.cfg.WebhookSecret)
	if w.forged {
		secret = []byte("not-the-secret")
		s.counts.forged.Add(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-NxtB-Signature", nxtbanking.Sign(secret, body))
	resp, err := s.client.Do(req)
	if err != nil {
		s.cfg.Log.Warn("sandbox webhook not delivered", "payout_ref", rec.ReferenceID, "err", err)
		return
	}
	resp.Body.Close()
	s.counts.sent.Add(1)
	if w.forged && resp.StatusCode < 300 {
		s.counts.forgedAccepted.Add(1)
	}
}

// underpaid reports whether the sandbox states rec's amount smaller than
// it was sent (Chaos.Underpay).
func (s *Server) underpaid(rec *record) bool {
	c := s.cfg.Chaos
	return c != nil && c.Underpay > 0 && rec.Amount != "" && s.roll("underpay", rec.PayoutID) < c.Underpay
}

// stated is the amount the sandbox states for rec: as it was sent, or a
// tenth less (at least one minor unit) when it underpays, in exact minor
// units.
func (s *Server) stated(rec *record) json.Number {
	if !s.underpaid(rec) {
		return rec.Amount
	}
	m, err := payout.ParseMoney(rec.Amount.String(), rec.Currency)
	if err != nil {
		return rec.Amount // refused at creation; cannot happen
	}
	m.Minor -= max(m.Minor/10, 1)
	return json.Number(m.Decimal())
}
