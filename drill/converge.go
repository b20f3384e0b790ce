package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"payops/adapters/sandbox"
	"payops/payout"
)

// expected is payops' state for the provider's word.
var expected = map[string]string{"SUCCESS": "SUCCEEDED", "FAILED": "FAILED", "REVERSED": "REVERSED",
	"PROCESSING": "PROCESSING", "QUEUED": "QUEUED"}

// postings are the ledger postings a payout in each state may have. A
// payout payops saw only as REVERSED posted nothing: money that went out and
// came back nets to nothing either way.
var postings = map[string][]string{"SUCCEEDED": {"succeeded"}, "REVERSED": {"reversed succeeded", ""}, "FAILED": {""},
	"PROCESSING": {""}, "QUEUED": {""}}

// Waiting counts a converging drill's payouts that do not agree with the
// provider's truth yet, by why: what the drill is waiting for.
type Waiting struct {
	// NotSent: the provider has no such payout. payops has not sent it yet,
	// or is trying again after the provider failed to answer.
	NotSent int `json:"not_sent"`
	// AtProvider: the provider has not decided the payout (QUEUED or
	// PROCESSING there, stuck at the provider) and payops says otherwise.
	AtProvider int `json:"at_provider"`
	// Unheard: the provider has decided, payops has not heard yet: a
	// webhook (late, or lost) or the next re-check will tell it.
	Unheard int `json:"unheard"`
	// Other: the state agrees, the UTR or the ledger postings do not.
	Other int `json:"other"`
	// Settling: the provider has not settled every payout yet (reversals
	// may still come), so the drill waits even when every payout agrees.
	Settling bool `json:"settling"`
}

// Total is how many payouts do not agree yet.
func (w Waiting) Total() int { return w.NotSent + w.AtProvider + w.Unheard + w.Other }

// Why a payout does not agree with the provider, as Waiting counts it.
type why int

const (
	agrees why = iota
	notSent
	atProvider
	unheard
	other
)

func (w *Waiting) add(y why) {
	switch y {
	case notSent:
		w.NotSent++
	case atProvider:
		w.AtProvider++
	case unheard:
		w.Unheard++
	case other:
		w.Other++
	}
}

// compare returns the payouts that do not agree with the sandbox yet, what
// is wrong with each, and how many wait for what.
func (c *apiClient) compare(ctx context.Context, refs []string, truth map[string]sandbox.Truth, refused map[string]bool) ([]string,
	map[string]string, Waiting, error) {
	var pending []string
	var waiting Waiting
	problems := map[string]string{}
	for _, ref := range refs {
		p, err := c.payout(ctx, ref)
		if err != nil {
			return nil, nil, Waiting{}, err
		}
		t, sent := truth[ref]
		if y, problem := disagreement(ref, p, t, sent, refused[ref]); y != agrees {
			pending = append(pending, ref)
			problems[ref] = problem
			waiting.add(y)
		}
	}
	return pending, problems, waiting, nil
}

// disagreement says why payops' payout ref differs from the sandbox's and
// how, or agrees. A payout the sandbox never accepted must be held for
// funds, and only if the sandbox refused it for funds (refused): a payops
// that held payouts for funds without sending them, or took an outage for
// a refusal, would otherwise converge on an empty sandbox. Every entry of
// a payout's postings is of the amount the drill sent it (amountFor).
func disagreement(ref string, p apiPayout, t sandbox.Truth, atProviderNow, refused bool) (why, string) {
	if !atProviderNow {
		if refused && p.Status == "HELD" && slices.ContainsFunc(p.Holds, func(h apiHold) bool {
			return h.Reason == "insufficient_funds" && h.State == "open"
		}) {
			return agrees, ""
		}
		if refused {
			return notSent, fmt.Sprintf("payops says %s; the sandbox refused it for funds: only a funding hold ends it so",
				p.Status)
		}
		return notSent, fmt.Sprintf("payops says %s; the sandbox has no such payout (yet) and refused none of that reference",
			p.Status)
	}
	want := expected[t.Status]
	if p.Status != want {
		y := unheard
		if t.Status == "QUEUED" || t.Status == "PROCESSING" {
			y = atProvider
		}
		return y, fmt.Sprintf("payops says %s, the sandbox %s", p.Status, t.Status)
	}
	if t.UTR != "" && (p.UTR == nil || *p.UTR != t.UTR) {
		return other, fmt.Sprintf("UTR %v, the sandbox %s", p.UTR, t.UTR)
	}
	var kinds []string
	sent := amountFor(ref)
	for _, e := range p.Ledger {
		kinds = append(kinds, e.Kind)
		if m, err := payout.ParseMoney(e.Amount, e.Currency); err != nil || m != sent {
			return other, fmt.Sprintf("a %s entry of %s %s; the payout was sent for %s", e.Kind, e.Amount, e.Currency, sent)
		}
	}
	slices.Sort(kinds)
	if got := strings.Join(slices.Compact(kinds), " "); !slices.Contains(postings[want], got) {
		return other, fmt.Sprintf("ledger postings %q, want one of %q", got, postings[want])
	}
	return agrees, ""
}
