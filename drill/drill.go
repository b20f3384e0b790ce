// Package drill runs failure drills: payouts sent through payops' intake
// API to a sandbox provider that misbehaves as a scenario says, then every
// payout's state, UTR and ledger in payops compared with the sandbox's
// ground truth, until they agree or time runs out.
package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
)

// Scenarios are the drills by name: what the sandbox does in each.
var Scenarios = map[string]sandbox.Chaos{
	"happy":              {},
	"lost-webhooks":      {DropWebhooks: 50},
	"duplicate-storm":    {DuplicateWebhooks: 80},
	"out-of-order":       {ReorderWebhooks: true, DelayWebhooks: 3 * time.Second},
	"forged":             {ForgeWebhooks: 50, ReplayWebhooks: 50},
	"provider-outage":    {APIErrors: 30, APITimeouts: 10, SlowAPI: time.Second},
	"insufficient-funds": {InsufficientFunds: 20},
	"reversals":          {ReverseAfter: 5 * time.Second},
	"all-of-them": {DropWebhooks: 30, DuplicateWebhooks: 40, ReorderWebhooks: true, DelayWebhooks: 2 * time.Second,
		ForgeWebhooks: 20, ReplayWebhooks: 20, APIErrors: 15, APITimeouts: 5, SlowAPI: 500 * time.Millisecond,
		InsufficientFunds: 10, ReverseAfter: 5 * time.Second},
}

// Descriptions say what each scenario does, for people choosing one.
var Descriptions = map[string]string{
	"happy":              "A well-behaved provider: every webhook arrives once, in order.",
	"lost-webhooks":      "Half of the webhooks never arrive; the re-check must find the outcomes.",
	"duplicate-storm":    "Most webhooks arrive two to four times; each must count once.",
	"out-of-order":       "PROCESSING arrives after the final state, and webhooks are delayed.",
	"forged":             "Webhooks with bad signatures claim failures; old ones are replayed.",
	"provider-outage":    "The API answers 500 or 429, times out after doing the work, or is slow.",
	"insufficient-funds": "The provider refuses a fifth of the payouts for want of balance.",
	"reversals":          "Some payouts succeed, then are reversed seconds later.",
	"all-of-them":        "Every misbehaviour above at once.",
}

// Names lists the scenarios, sorted.
func Names() []string {
	out := make([]string, 0, len(Scenarios))
	for n := range Scenarios {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Config is one drill.
type Config struct {
	Scenario  string
	PayopsURL string // "http://127.0.0.1:8080"
	Token     string // an API token of payops
	Sandbox   *sandbox.Server
	Payouts   int
	Prefix    string        // of the drill's reference ids, unique per drill
	Wait      time.Duration // for convergence, after the last payout is created
	// ForgedAccepted counts webhook deliveries with a bad signature that
	// payops did not reject (from its database); nil when not known.
	ForgedAccepted func(ctx context.Context) (int, error)
	Progress       func(done, total int, phase string) // optional
}

// Report is what a drill found. The must-be-zero figures decide it.
type Report struct {
	Scenario          string
	Payouts           int
	Sandbox           sandbox.Counts
	ForgedAccepted    int // must be 0
	DuplicatePostings int // must be 0
	Unbalanced        int // currencies whose debits and credits differ; must be 0
	NotConverged      int // must be 0
	Converged         time.Duration
	Examples          []string // a few payouts that did not converge, and why
}

// OK reports whether every must-be-zero figure is zero.
func (r Report) OK() bool {
	return r.ForgedAccepted == 0 && r.DuplicatePostings == 0 && r.Unbalanced == 0 && r.NotConverged == 0
}

// Write prints the report.
func (r Report) Write(w io.Writer) {
	c := r.Sandbox
	fmt.Fprintf(w, "drill %s: %d payouts\n", r.Scenario, r.Payouts)
	fmt.Fprintf(w, "  sandbox: %d created, %d refused (funds), %d API errors, %d API timeouts\n", c.Created, c.Refused, c.APIErrors, c.APITimeouts)
	fmt.Fprintf(w, "  webhooks: %d sent, %d dropped, %d duplicated, %d forged, %d replayed\n", c.WebhooksSent, c.Dropped, c.Duplicated, c.Forged, c.Replayed)
	fmt.Fprintf(w, "  forged accepted:          %d (must be 0)\n", r.ForgedAccepted)
	fmt.Fprintf(w, "  duplicate ledger postings: %d (must be 0)\n", r.DuplicatePostings)
	fmt.Fprintf(w, "  currencies not balanced:  %d (must be 0)\n", r.Unbalanced)
	fmt.Fprintf(w, "  payouts not converged:    %d (must be 0)\n", r.NotConverged)
	fmt.Fprintf(w, "  time to converge:         %s\n", r.Converged.Round(100*time.Millisecond))
	for _, e := range r.Examples {
		fmt.Fprintf(w, "    %s\n", e)
	}
	if r.OK() {
		fmt.Fprintln(w, "  result: ok")
	} else {
		fmt.Fprintln(w, "  result: FAILED")
	}
}

// Run runs the drill: creates the payouts, then compares payops with the
// sandbox until every payout agrees or Wait has passed.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if _, ok := Scenarios[cfg.Scenario]; !ok {
		return Report{}, fmt.Errorf("unknown scenario %q: one of %s", cfg.Scenario, strings.Join(Names(), ", "))
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(int, int, string) {}
	}
	c := &apiClient{base: strings.TrimRight(cfg.PayopsURL, "/"), token: cfg.Token, http: &http.Client{Timeout: 10 * time.Second}}
	refs := make([]string, cfg.Payouts)
	for i := range refs {
		refs[i] = fmt.Sprintf("%s-%05d", cfg.Prefix, i+1)
	}
	if err := c.createAll(ctx, refs, func(n int) { progress(n, len(refs), "creating") }); err != nil {
		return Report{}, err
	}
	start := time.Now()
	rep := Report{Scenario: cfg.Scenario, Payouts: cfg.Payouts}
	deadline := start.Add(cfg.Wait)
	for {
		// The sandbox first, so that a payout agreeing now agrees for good
		// once the sandbox is settled.
		now := time.Now()
		settled := cfg.Sandbox.Settled(now)
		pending, problems, err := c.compare(ctx, refs, cfg.Sandbox.Truth(now))
		if err != nil {
			return Report{}, err
		}
		progress(len(refs)-len(pending), len(refs), "converging")
		if (len(pending) == 0 && settled) || time.Now().After(deadline) {
			rep.NotConverged = len(pending)
			if !settled {
				rep.Examples = append(rep.Examples, "the sandbox was still settling when the wait ran out: give --wait more time")
			}
			for i, ref := range pending {
				if i == 5 {
					break
				}
				rep.Examples = append(rep.Examples, ref+": "+problems[ref])
			}
			break
		}
		select {
		case <-ctx.Done():
			return Report{}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	rep.Converged = time.Since(start)
	var err error
	rep.DuplicatePostings, rep.Unbalanced, err = c.ledger(ctx, refs)
	if err != nil {
		return Report{}, err
	}
	if cfg.ForgedAccepted != nil {
		if rep.ForgedAccepted, err = cfg.ForgedAccepted(ctx); err != nil {
			return Report{}, err
		}
	}
	rep.Sandbox = cfg.Sandbox.Counts()
	return rep, nil
}

// apiClient calls payops' platform API as a platform would: retrying with
// the same body until payops answers.
type apiClient struct {
	base, token string
	http        *http.Client
}

type apiPayout struct {
	Status string  `json:"status"`
	UTR    *string `json:"utr"`
	Holds  []struct {
		Reason string `json:"reason"`
		State  string `json:"state"`
	} `json:"holds"`
	Ledger []struct {
		Posting   int64  `json:"posting"`
		Kind      string `json:"kind"`
		Direction string `json:"direction"`
		Amount    string `json:"amount"`
		Currency  string `json:"currency"`
	} `json:"ledger"`
}

// do sends one request, retrying while payops is unreachable, answers 5xx
// (it may be restarting) or 429 (the token's rate): the intake is
// idempotent on reference_id.
func (c *apiClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.http.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				return resp.StatusCode, b, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// createAll sends the payouts, eight at a time; some are held by the gates
// only if the drill's amounts cross them, which they do not.
func (c *apiClient) createAll(ctx context.Context, refs []string, done func(int)) error {
	var mu sync.Mutex
	var firstErr error
	n := 0
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range work {
				body, _ := json.Marshal(map[string]any{
					"reference_id": ref, "provider": payout.DrillProvider, "amount": fmt.Sprintf("%d.00", 100+len(ref)%50), "currency": "INR",
					"mode": "IMPS", "narration": "Failure drill", "market": "IN", "metadata": map[string]string{"drill": "true"},
					"beneficiary": map[string]string{"name": "Drill Beneficiary", "account_number": "123456789012",
						"ifsc": "HDFC0001234", "tax_artifact": "present"},
				})
				code, b, err := c.do(ctx, "POST", "/api/v1/payouts", body)
				mu.Lock()
				if err == nil && code != http.StatusAccepted {
					err = fmt.Errorf("creating %s: %d %s", ref, code, b)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				n++
				done(n)
				mu.Unlock()
			}
		}()
	}
	for _, ref := range refs {
		if ctx.Err() != nil {
			break
		}
		work <- ref
	}
	close(work)
	wg.Wait()
	return firstErr
}

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

func (c *apiClient) payout(ctx context.Context, ref string) (apiPayout, error) {
	code, b, err := c.do(ctx, "GET", "/api/v1/payouts/"+ref, nil)
	if err != nil {
		return apiPayout{}, err
	}
	if code != http.StatusOK {
		return apiPayout{}, fmt.Errorf("reading %s: %d %s", ref, code, b)
	}
	var p apiPayout
	if err := json.Unmarshal(b, &p); err != nil {
		return apiPayout{}, fmt.Errorf("reading %s: %w", ref, err)
	}
	return p, nil
}

// ledger counts postings made twice (one kind twice for one payout) and
// currencies whose debits and credits differ, over the drill's payouts.
func (c *apiClient) ledger(ctx context.Context, refs []string) (dups, unbalanced int, err error) {
	balance := map[string]int64{}
	for _, ref := range refs {
		p, err := c.payout(ctx, ref)
		if err != nil {
			return 0, 0, err
		}
		kinds := map[string]int64{}
		for _, e := range p.Ledger {
			if first, seen := kinds[e.Kind]; seen && first != e.Posting {
				dups++
			}
			kinds[e.Kind] = e.Posting
			m, err := payout.ParseMoney(e.Amount, e.Currency)
			if err != nil {
				return 0, 0, fmt.Errorf("ledger of %s: %w", ref, err)
			}
			if e.Direction == "debit" {
				balance[e.Currency] += m.Minor
			} else {
				balance[e.Currency] -= m.Minor
			}
		}
	}
	for _, v := range balance {
		if v != 0 {
			unbalanced++
		}
	}
	return dups, unbalanced, nil
}
