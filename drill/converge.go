package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"payops/adapters/sandbox"
)

// expected is payops' state for the provider's word.
var expected = map[string]string{"SUCCESS": "SUCCEEDED", "FAILED": "FAILED", "REVERSED": "REVERSED",
	"PROCESSING": "PROCESSING", "QUEUED": "QUEUED"}

// postings are the ledger postings a payout in each state may have. A
// payout payops saw only as REVERSED posted nothing: money that went out and
// came back nets to nothing either way.
var postings = map[string][]string{"SUCCEEDED": {"succeeded"}, "REVERSED": {"reversed succeeded", ""}, "FAILED": {""},
	"PROCESSING": {""}, "QUEUED": {""}}

// compare returns the payouts that do not agree with the sandbox yet, and
// what is wrong with each.
func (c *apiClient) compare(ctx context.Context, refs []string, truth map[string]sandbox.Truth) ([]string, map[string]string, error) {
	var pending []string
	problems := map[string]string{}
	for _, ref := range refs {
		p, err := c.payout(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		if problem := disagreement(p, truth[ref], truth[ref] != (sandbox.Truth{})); problem != "" {
			pending = append(pending, ref)
			problems[ref] = problem
		}
	}
	return pending, problems, nil
}

// disagreement says how payops' payout differs from the sandbox's, or "".
// A payout the sandbox never accepted must be held for funds.
func disagreement(p apiPayout, t sandbox.Truth, atProvider bool) string {
	if !atProvider {
		for _, h := range p.Holds {
			if h.Reason == "insufficient_funds" && h.State == "open" && p.Status == "HELD" {
				return ""
			}
		}
		return fmt.Sprintf("payops says %s; the sandbox has no such payout (yet): only a funding hold ends it so", p.Status)
	}
	want := expected[t.Status]
	if p.Status != want {
		return fmt.Sprintf("payops says %s, the sandbox %s", p.Status, t.Status)
	}
	if t.UTR != "" && (p.UTR == nil || *p.UTR != t.UTR) {
		return fmt.Sprintf("UTR %v, the sandbox %s", p.UTR, t.UTR)
	}
	var kinds []string
	for _, e := range p.Ledger {
		kinds = append(kinds, e.Kind)
	}
	slices.Sort(kinds)
	if got := strings.Join(slices.Compact(kinds), " "); !slices.Contains(postings[want], got) {
		return fmt.Sprintf("ledger postings %q, want one of %q", got, postings[want])
	}
	return ""
}
