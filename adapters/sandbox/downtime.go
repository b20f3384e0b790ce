package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"payops/adapters/nxtbanking"
)

// outage is the sandbox's announced downtime (Chaos.Downtime): creates of
// the affected mode are answered 503 while it lasts, and those that come
// after payops acknowledged the notice and before the resolution was sent
// are counted as sent while paused.
type outage struct {
	mu     sync.Mutex
	down   bool // creates of the mode are answered 503
	paused bool // payops acknowledged the start; the resolution is not sent yet
	mode   string
}

// affects reports whether a create of mode falls in the outage, and
// whether payops was told to pause it.
func (o *outage) affects(mode string) (down, paused bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.mode != "" && !strings.EqualFold(o.mode, mode) {
		return false, false
	}
	return o.down, o.paused
}

// DowntimeID is the id the sandbox gives its downtime in both notices.
const DowntimeID = "sbx_down_1"

// noticeTries is how long the sandbox keeps sending a downtime notice that
// payops does not acknowledge (it may be restarting).
const noticeTries = 30 * time.Second

// Start begins the drill's outage when Chaos.Downtime is set (and webhooks
// are sent): it sends a signed payout.downtime.started and returns once
// payops acknowledged it (2xx); from then on payout creates of the mode
// are answered 503, for Chaos.Downtime, after which the sandbox works
// again and sends payout.downtime.resolved. It returns an error when
// payops did not acknowledge the start within 30 s, or ctx ended; without
// a downtime it does nothing.
func (s *Server) Start(ctx context.Context) error {
	c := s.cfg.Chaos
	if c == nil || c.Downtime <= 0 || s.cfg.WebhookURL == "" {
		return nil
	}
	s.outage.mu.Lock()
	s.outage.down, s.outage.mode = true, strings.ToUpper(c.DowntimeMode)
	s.outage.mu.Unlock()
	// Not settled until the resolution has gone.
	s.unsent.Add(1)
	s.pending.Add(1)
	if err := s.notice(ctx, "payout.downtime.started"); err != nil {
		s.unsent.Add(-1)
		s.pending.Done()
		return err
	}
	s.outage.mu.Lock()
	s.outage.paused = true
	s.outage.mu.Unlock()
	time.AfterFunc(c.Downtime, func() {
		defer s.pending.Done()
		defer s.unsent.Add(-1)
		s.outage.mu.Lock()
		s.outage.down, s.outage.paused = false, false
		s.outage.mu.Unlock()
		if err := s.notice(context.Background(), "payout.downtime.resolved"); err != nil {
			s.cfg.Log.Warn("sandbox downtime resolution not delivered", "err", err)
		}
	})
	return nil
}

// notice sends a downtime notice, signed as NxtBanking signs webhooks, in
// the shape the nxtbanking adapter reads (an extension of its format), until
// payops answers 2xx, for noticeTries at most.
func (s *Server) notice(ctx context.Context, event string) error {
	ctx, cancel := context.WithTimeout(ctx, noticeTries)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		msg := map[string]any{"event": event, "downtime_id": DowntimeID, "message": "sandbox outage (failure drill)",
			"timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
		if m := s.cfg.Chaos.DowntimeMode; m != "" {
			msg["mode"] = strings.ToUpper(m)
		}
		body, _ := json.Marshal(msg)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-NxtB-Signature", nxtbanking.Sign([]byte(s.cfg.WebhookSecret), body))
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
			s.counts.sent.Add(1)
			if resp.StatusCode/100 == 2 {
				s.counts.notices.Add(1)
				return nil
			}
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %s not acknowledged: %w", event, err)
		case <-time.After(wait):
		}
	}
}
