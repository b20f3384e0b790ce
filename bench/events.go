package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"payops/adapters/nxtbanking"
)

// events makes benchmark 1's signed sandbox webhooks, shaped as the sandbox
// sends them (adapters/sandbox: event, payout_id, reference_id, status, utr,
// amount, failure_reason, timestamp), against a database seeded with
// shape{inFlight: true}:
//   - new: the SUCCESS webhook of the next in-flight payout of [next, end),
//     which the endpoint applies (PROCESSING -> SUCCEEDED, ledger posted);
//   - duplicate: one of the new webhooks sent before, byte for byte again;
//   - stale: a PROCESSING webhook, never seen before, for a SUCCEEDED payout.
type events struct {
	secret  []byte
	settled int // SUCCEEDED payouts to pick stale ones from (settledG)
	next    atomic.Int64
	from    int64
	end     int64
	// wrap starts [from, end) again once it is spent, for an endpoint that
	// stores nothing (benchCeiling): there a payout's webhook is new again.
	wrap bool
	seq  atomic.Int64 // makes each stale webhook's timestamp its own
	t0   time.Time

	mu   sync.Mutex
	sent [][]byte
}

// Shares of each kind, in per cent; the rest are stale.
const (
	newShare       = 60
	duplicateShare = 20
)

func newEvents(secret string, payouts int, from, to int) *events {
	e := &events{secret: []byte(secret), settled: payouts / 10 * 5, from: int64(from), end: int64(to), t0: time.Now().UTC()}
	e.next.Store(int64(from))
	return e
}

// pick returns a webhook of a kind drawn by the shares, and whether it is a
// new one; a duplicate before any new webhook was answered is a new one.
func (e *events) pick(rnd *rand.Rand) (body []byte, fresh bool, err error) {
	switch n := rnd.IntN(100); {
	case n < newShare:
		body, err = e.fresh()
		return body, true, err
	case n < newShare+duplicateShare:
		if b := e.duplicate(rnd); b != nil {
			return b, false, nil
		}
		body, err = e.fresh()
		return body, true, err
	default:
		return e.stale(rnd), false, nil
	}
}

// fresh returns the next in-flight payout's SUCCESS webhook.
func (e *events) fresh() ([]byte, error) {
	i := e.next.Add(1) - 1
	if e.wrap {
		i = e.from + (i-e.from)%(e.end-e.from)
	}
	if i >= e.end {
		return nil, fmt.Errorf("no in-flight payout left for a new webhook (%d used): seed more", i)
	}
	g := inFlightG(int(i))
	return webhookBody(g, "SUCCESS", fmt.Sprint(200_000_000_000+g), e.t0), nil
}

// answered keeps a new webhook the endpoint has answered, to be sent again
// as a duplicate: as a provider's retry, after the first delivery.
func (e *events) answered(body []byte) {
	e.mu.Lock()
	e.sent = append(e.sent, body)
	e.mu.Unlock()
}

func (e *events) duplicate(rnd *rand.Rand) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.sent) == 0 {
		return nil
	}
	return e.sent[rnd.IntN(len(e.sent))]
}

func (e *events) stale(rnd *rand.Rand) []byte {
	g := settledG(rnd.IntN(e.settled))
	return webhookBody(g, "PROCESSING", "", e.t0.Add(time.Duration(e.seq.Add(1))))
}

func (e *events) sign(body []byte) string { return nxtbanking.Sign(e.secret, body) }

// webhookBody is the sandbox's webhook for payout g, as its send() makes it.
func webhookBody(g int, status, utr string, at time.Time) []byte {
	minor := 1000 + (g*7919)%10_000_000 // the seeded amount
	b, _ := json.Marshal(map[string]any{
		"event":     "payout." + map[string]string{"SUCCESS": "success", "PROCESSING": "processing"}[status],
		"payout_id": providerPayoutID(g), "reference_id": referenceID(g), "status": status, "utr": utr,
		"amount": json.Number(fmt.Sprintf("%d.%02d", minor/100, minor%100)), "failure_reason": "",
		"timestamp": at.Format(time.RFC3339Nano),
	})
	return b
}
