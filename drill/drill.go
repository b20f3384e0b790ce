// Package drill runs failure drills: payouts sent through payops' intake
// API to a sandbox provider that misbehaves as a scenario says, then every
// payout's state, UTR and ledger in payops compared with the sandbox's
// ground truth, until they agree or time runs out.
package drill

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
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
	"underpayment":       {Underpay: 30},
	// Longer than two runs of the submission worker (every 5 s), so that it
	// looks for payouts to send while paused.
	"downtime": {Downtime: 12 * time.Second, DowntimeMode: "IMPS"},
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
	"underpayment":       "The provider states a tenth less than was sent for some payouts; each must get an amount case.",
	"downtime": "The provider announces an IMPS outage, refuses payouts through it, then announces its end: " +
		"nothing may be sent while paused, and no case opened for the paused payouts.",
	"all-of-them": "Every misbehaviour above at once.",
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
	Market    string // the market its payouts go to; DefaultMarket when empty
	PayopsURL string // "http://127.0.0.1:8080"
	Token     string // an API token of payops
	Sandbox   *sandbox.Server
	Payouts   int
	Prefix    string        // of the drill's reference ids, unique per drill
	Wait      time.Duration // for convergence, after the last payout is created
	// ForgedAccepted counts webhook deliveries with a bad signature that
	// payops did not reject (from its database); nil when not known.
	ForgedAccepted func(ctx context.Context) (int, error)
	// AmountCases counts the amount_mismatch cases on each of the payouts
	// refs names, by reference (from payops' database); nil when not known.
	AmountCases func(ctx context.Context, refs []string) (map[string]int, error)
	// ScanExceptions runs payops' exceptions scan, so that the cases it
	// opens on its schedule are open before Cases counts them; Cases
	// counts the cases of kind on each of the payouts refs names, by
	// reference. The failure cases are checked only when both are set.
	ScanExceptions func(ctx context.Context) error
	Cases          func(ctx context.Context, kind payout.CaseKind, refs []string) (map[string]int, error)
	Progress       func(Progress) // optional
}

// Progress is how far a drill is: creating its payouts, then converging.
type Progress struct {
	Phase string // creating, converging
	// Done of Total: payouts created; payouts agreeing with the provider.
	Done, Total int
	Waiting     *Waiting // converging: what the payouts not agreeing yet wait for
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
	// Underpaid is how many payouts the provider stated a smaller amount
	// for; MissingAmountCases how many of them have no amount_mismatch
	// case, or more than one; StrayAmountCases how many other payouts have
	// one. Both must be 0 (when AmountCases is known).
	Underpaid          int
	MissingAmountCases int
	StrayAmountCases   int
	// SentWhilePaused is how many payout creates the provider received
	// after payops acknowledged its downtime notice and before it sent the
	// resolution (Chaos.Downtime); must be 0.
	SentWhilePaused int
	// CasesChecked says the failure cases were checked (Config.Cases):
	// MissingFailedCases is how many payouts the provider failed have no
	// failed_after_send case, or more than one; StrayCases how many
	// payouts it did not fail have one, plus how many payouts have an
	// anomaly case. Both must be 0.
	CasesChecked       bool
	MissingFailedCases int
	StrayCases         int
	// Converged is how long payops took to agree with the settled
	// sandbox; zero when the wait ran out first. Unsettled says the sandbox
	// was still settling then (a reversal could still come): the drill
	// proves nothing and fails, whatever payops agreed with so far.
	Converged time.Duration
	Unsettled bool
	Examples  []string // a few payouts that did not converge, and why
	// Outbound is what became of the outbound webhooks, when the drill had a
	// receiver (make drill's); nil otherwise.
	Outbound *Outbound
}

// OK reports whether every must-be-zero figure is zero.
func (r Report) OK() bool {
	return r.ForgedAccepted == 0 && r.DuplicatePostings == 0 && r.Unbalanced == 0 && r.NotConverged == 0 &&
		r.MissingAmountCases == 0 && r.StrayAmountCases == 0 && r.SentWhilePaused == 0 && r.MissingFailedCases == 0 &&
		r.StrayCases == 0 && !r.Unsettled && (r.Outbound == nil || r.Outbound.OK())
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
	if r.Underpaid > 0 || r.MissingAmountCases > 0 || r.StrayAmountCases > 0 {
		fmt.Fprintf(w, "  underpaid by the provider: %d\n", r.Underpaid)
		fmt.Fprintf(w, "  underpaid, no amount case: %d (must be 0)\n", r.MissingAmountCases)
		fmt.Fprintf(w, "  amount cases not underpaid: %d (must be 0)\n", r.StrayAmountCases)
	}
	if Scenarios[r.Scenario].Downtime > 0 || c.DowntimeNotices > 0 || r.SentWhilePaused > 0 {
		fmt.Fprintf(w, "  downtime: %d notices acknowledged, %d creates refused (503)\n", c.DowntimeNotices,
			c.DowntimeErrors)
		fmt.Fprintf(w, "  sent while paused:        %d (must be 0)\n", r.SentWhilePaused)
	}
	if r.CasesChecked {
		fmt.Fprintf(w, "  failed, no failure case:  %d (must be 0)\n", r.MissingFailedCases)
		fmt.Fprintf(w, "  cases where none belongs: %d (must be 0)\n", r.StrayCases)
	}
	if r.Converged > 0 {
		fmt.Fprintf(w, "  time to converge:         %s\n", r.Converged.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(w, "  time to converge:         did not converge within the wait\n")
	}
	for _, e := range r.Examples {
		fmt.Fprintf(w, "    %s\n", e)
	}
	if r.Outbound != nil {
		r.Outbound.Write(w)
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
		progress = func(Progress) {}
	}
	market := cfg.Market
	if market == "" {
		market = DefaultMarket
	}
	c := &apiClient{base: strings.TrimRight(cfg.PayopsURL, "/"), token: cfg.Token, market: market,
		http: &http.Client{Timeout: 10 * time.Second}}
	refs := make([]string, cfg.Payouts)
	for i := range refs {
		refs[i] = fmt.Sprintf("%s-%05d", cfg.Prefix, i+1)
	}
	created := func(n int) { progress(Progress{Phase: "creating", Done: n, Total: len(refs)}) }
	// The outage, when the scenario has one, begins before the first
	// payout: nothing is in flight when payops is told to pause.
	if err := cfg.Sandbox.Start(ctx); err != nil {
		return Report{}, err
	}
	if err := c.createAll(ctx, refs, created); err != nil {
		return Report{}, err
	}
	start := time.Now()
	rep := Report{Scenario: cfg.Scenario, Payouts: cfg.Payouts}
	deadline := start.Add(cfg.Wait)
	var truth map[string]sandbox.Truth
	for {
		// The sandbox first, so that a payout agreeing now agrees for good
		// once the sandbox is settled.
		now := time.Now()
		settled := cfg.Sandbox.Settled(now)
		truth = cfg.Sandbox.Truth(now)
		pending, problems, waiting, err := c.compare(ctx, refs, truth, cfg.Sandbox.RefusedForFunds())
		if err != nil {
			return Report{}, err
		}
		waiting.Settling = !settled
		progress(Progress{Phase: "converging", Done: len(refs) - len(pending), Total: len(refs), Waiting: &waiting})
		if len(pending) == 0 && settled {
			rep.Converged = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			rep.explain(pending, problems, settled)
			break
		}
		select {
		case <-ctx.Done():
			return Report{}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	var err error
	rep.DuplicatePostings, rep.Unbalanced, err = c.ledger(ctx, refs)
	if err != nil {
		return Report{}, err
	}
	// A forged webhook taken in: answered 2xx, as the sandbox saw it send
	// each (whatever payops stored of it), or stored unverified yet not
	// refused.
	rep.ForgedAccepted = int(cfg.Sandbox.Counts().ForgedAccepted)
	if cfg.ForgedAccepted != nil {
		stored, err := cfg.ForgedAccepted(ctx)
		if err != nil {
			return Report{}, err
		}
		rep.ForgedAccepted = max(rep.ForgedAccepted, stored)
	}
	if cfg.AmountCases != nil {
		cases, err := cfg.AmountCases(ctx, refs)
		if err != nil {
			return Report{}, err
		}
		rep.amountCases(refs, truth, cases)
	}
	if cfg.ScanExceptions != nil && cfg.Cases != nil {
		if err := rep.checkCases(ctx, cfg, refs, truth); err != nil {
			return Report{}, err
		}
	}
	rep.Sandbox = cfg.Sandbox.Counts()
	rep.SentWhilePaused = int(rep.Sandbox.SentWhilePaused)
	return rep, nil
}

// explain records the payouts that did not converge, with a few examples of
// why, and whether the sandbox had settled.
func (r *Report) explain(pending []string, problems map[string]string, settled bool) {
	r.NotConverged, r.Unsettled = len(pending), !settled
	if !settled {
		r.Examples = append(r.Examples, "the sandbox was still settling when the wait ran out: give --wait more time")
	}
	for i, ref := range pending {
		if i == 5 {
			break
		}
		r.Examples = append(r.Examples, ref+": "+problems[ref])
	}
}

// amountCases checks that every payout the provider underpaid has exactly
// one amount case and no other payout has any, with a few examples.
func (r *Report) amountCases(refs []string, truth map[string]sandbox.Truth, cases map[string]int) {
	for _, ref := range refs {
		under, n := truth[ref].Underpaid, cases[ref]
		switch {
		case under && n != 1:
			r.MissingAmountCases++
			r.Examples = append(r.Examples, fmt.Sprintf("%s: underpaid by the provider, %d amount cases, want 1", ref, n))
		case !under && n > 0:
			r.StrayAmountCases++
			r.Examples = append(r.Examples, fmt.Sprintf("%s: paid in full, yet %d amount cases", ref, n))
		}
		if under {
			r.Underpaid++
		}
	}
	if len(r.Examples) > 10 {
		r.Examples = r.Examples[:10]
	}
}
