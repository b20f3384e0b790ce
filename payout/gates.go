package payout

import (
	"fmt"
	"strings"
)

// Reason is why a payout is held: one per release gate, and manual review
// for a payout the submission worker gave up on.
type Reason string

// The hold reasons. The first five are release gates.
const (
	ReasonBeneficiary  Reason = "beneficiary"
	ReasonTax          Reason = "tax_artifact"
	ReasonReview       Reason = "review_threshold"
	ReasonMarket       Reason = "market_read_only"
	ReasonFunding      Reason = "insufficient_funds"
	ReasonManualReview Reason = "manual_review"
)

// Reasons lists every hold reason in the order pages show them.
var Reasons = []Reason{ReasonBeneficiary, ReasonTax, ReasonReview, ReasonMarket, ReasonFunding, ReasonManualReview}

// ParseReason returns the reason named s, or an error.
func ParseReason(s string) (Reason, error) {
	for _, r := range Reasons {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown hold reason %q", s)
}

// MarketLaunch is what the gates know of a payout's market from its launch
// document: whether it is live, why (for the evaluation's record), and the
// document's review thresholds. The zero value is a read-only market: a
// caller that does not look the document up holds the money.
type MarketLaunch struct {
	Live   bool
	State  string // "live by version 3", "no launch document", ...
	Review map[string]Money
	// Doc is the launch document the payout falls under, nil when there is
	// none: its gate list, tax rule and approval rules apply.
	Doc *LaunchDoc
}

// applies reports whether gate is a release gate of the payout's launch
// document: with no document, or a document listing no gates, every gate
// applies. The market, funding and beneficiary gates always apply: they
// keep money from going where it cannot arrive or is not allowed to go.
func (l MarketLaunch) applies(gate Reason) bool {
	if l.Doc == nil || len(l.Doc.Gates) == 0 {
		return true
	}
	switch gate {
	case ReasonMarket, ReasonFunding, ReasonBeneficiary:
		return true
	}
	for _, g := range l.Doc.Gates {
		if g == gate {
			return true
		}
	}
	return false
}

// ApprovalsNeeded returns how many compliance approvals amount needs under
// the payout's launch document: 0 with none or no rule covering it.
func (l MarketLaunch) ApprovalsNeeded(amount Money) int {
	if l.Doc == nil {
		return 0
	}
	return l.Doc.ApprovalsNeeded(amount)
}

// GateInput is everything the gates look at for one payout.
type GateInput struct {
	Amount      Money
	Market      string
	Launch      MarketLaunch
	Beneficiary Beneficiary
	// Approved holds the reasons whose holds compliance has released on this
	// payout (or is releasing now): a released review is the approval the
	// review gate asks for.
	Approved map[Reason]bool
	// FundingHold is set while the provider's insufficient-funds answer has
	// not been cleared by a release.
	FundingHold bool
	// Test is set for a test payout (not Livemode): it moves no money, so a
	// read-only market does not hold it and a drill can run against one.
	Test bool
	// Redirected is set when an operator sent a failed payout again as a
	// new instruction with another account number: who, and from which
	// account to which (masked). Where money goes is never one person's
	// call, so the beneficiary gate holds it for a second person.
	Redirected *Redirect
}

// CorrectedFields names the beneficiary's fields that differ between
// before and after, for the audit entry of a retry.
func CorrectedFields(before, after Beneficiary) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b string
	}{{"name", before.Name, after.Name}, {"account_number", before.AccountNumber, after.AccountNumber},
		{"ifsc", before.IFSC, after.IFSC}, {"bank_code", before.BankCode, after.BankCode}} {
		if strings.TrimSpace(f.a) != strings.TrimSpace(f.b) {
			out = append(out, f.name)
		}
	}
	return out
}

// Redirect is an account number, or the bank that holds it, changed by an
// operator on a retry.
type Redirect struct {
	Of       string // the failed payout's reference
	From, To string // the account numbers, masked
	Account  bool   // the account number changed (two masked alike may differ)
	Bank     bool   // the bank changed (bankOf)
	// FromBank and ToBank are the banks, as bankOf names them, when the
	// bank changed ("" for none given).
	FromBank, ToBank string
}

// RedirectOf returns the Redirect of a retry whose beneficiary after differs
// from the failed payout's before in its account number or in its bank (the
// bank part of the IFSC, its first four letters, or the bank code), or nil.
// The same number at another bank, or another e-wallet keyed by the same
// phone number, is another account: where money goes is never one
// person's call. A name, or an IFSC corrected to another branch of the same
// bank, does not point the money elsewhere and goes out as the platform's
// own request would (each is in the audit entry's corrected fields).
func RedirectOf(before, after Beneficiary, of string) *Redirect {
	r := Redirect{Of: of, From: Mask(before.AccountNumber), To: Mask(after.AccountNumber)}
	if b, a := bankOf(before), bankOf(after); b != a {
		r.Bank, r.FromBank, r.ToBank = true, b, a
	}
	r.Account = strings.TrimSpace(before.AccountNumber) != strings.TrimSpace(after.AccountNumber)
	if !r.Account && !r.Bank {
		return nil
	}
	return &r
}

// orNone is s, or "none" for an empty s.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// bankOf names the bank of b's account by both of what can name it, upper
// case: the bank part of its IFSC (the first four letters) and its bank
// code, joined by "/" when both are given ("HDFC", "OVO", "BCA/BCA"), so a
// change of either is a change of bank.
func bankOf(b Beneficiary) string {
	var parts []string
	if ifsc := strings.ToUpper(strings.TrimSpace(b.IFSC)); ifsc != "" {
		parts = append(parts, ifsc[:min(4, len(ifsc))])
	}
	if code := strings.ToUpper(strings.TrimSpace(b.BankCode)); code != "" {
		parts = append(parts, code)
	}
	return strings.Join(parts, "/")
}

// Evaluation is one gate's answer about one payout: what was checked, by
// which rule, with which inputs, and whether it passed.
type Evaluation struct {
	Gate   Reason
	Rule   string
	Inputs map[string]string
	Passed bool
	Answer string
}

// The rules, versioned so a recorded evaluation says which rule decided.
const (
	ruleBeneficiary = "beneficiary/v3: name, account number, and an IFSC or bank code are all given; an account number or bank an operator changed when sending a failed payout again is confirmed by a second person"
	ruleTax         = "tax_artifact/v2: the beneficiary's tax artifact is present (missing, expired or under review blocks) where the launch document requires tax artifacts"
	ruleReview      = "review_threshold/v3: an amount above its currency's threshold (the market document's, else the configured one), or at or above a launch document's approval rule, needs a compliance release"
	ruleMarket      = "market_read_only/v2: a market is paid only when its launch document is live"
	ruleFunding     = "insufficient_funds/v1: an insufficient-funds answer from the provider holds until released"
)

// Evaluate runs every release gate on in, in a fixed order. It is pure:
// the caller records the evaluations and holds the payout for each failure.
func (p Policy) Evaluate(in GateInput) []Evaluation {
	return []Evaluation{
		p.beneficiaryGate(in),
		p.taxGate(in),
		p.reviewGate(in),
		p.marketGate(in),
		p.fundingGate(in),
	}
}

func (p Policy) beneficiaryGate(in GateInput) Evaluation {
	b := in.Beneficiary
	given := func(s string) string {
		if s == "" {
			return "missing"
		}
		return "given"
	}
	e := Evaluation{Gate: ReasonBeneficiary, Rule: ruleBeneficiary, Inputs: map[string]string{
		"name": given(b.Name), "account_number": given(b.AccountNumber), "ifsc": given(b.IFSC), "bank_code": given(b.BankCode),
	}}
	var missing []string
	if b.Name == "" {
		missing = append(missing, "name")
	}
	if b.AccountNumber == "" {
		missing = append(missing, "account number")
	}
	if b.IFSC == "" && b.BankCode == "" {
		missing = append(missing, "IFSC or bank code")
	}
	if len(missing) > 0 {
		e.Answer = "beneficiary " + strings.Join(missing, ", ") + " missing: the platform must send a new payout with complete details"
		return e
	}
	if r := in.Redirected; r != nil {
		var changed string
		if r.Account {
			e.Inputs["account_number"] = "changed by an operator"
			changed = fmt.Sprintf("account number changed from %s to %s", r.From, r.To)
		}
		if r.Bank {
			e.Inputs["bank"] = "changed by an operator"
			bank := fmt.Sprintf("bank changed from %s to %s", orNone(r.FromBank), orNone(r.ToBank))
			if changed == "" {
				bank += " (the same account number, " + r.To + ")"
				changed = bank
			} else {
				changed += ", " + bank
			}
		}
		e.Answer = fmt.Sprintf("%s by an operator when sending %s again: a second person confirms the new account "+
			"(with the platform or the beneficiary) before money goes to it", changed, r.Of)
		return e
	}
	e.Passed, e.Answer = true, "beneficiary details complete"
	return e
}

func (p Policy) taxGate(in GateInput) Evaluation {
	t := in.Beneficiary.TaxArtifact
	e := Evaluation{Gate: ReasonTax, Rule: ruleTax, Inputs: map[string]string{"tax_artifact": string(t)}}
	if d := in.Launch.Doc; d != nil && (!in.Launch.applies(ReasonTax) || (d.TaxArtifactsRequired != nil && !*d.TaxArtifactsRequired)) {
		e.Inputs["required"] = "false"
		e.Passed, e.Answer = true, "tax artifacts are not required in "+d.Key()+" by its launch document"
		return e
	}
	if t != TaxPresent {
		e.Answer = fmt.Sprintf("tax artifact is %s: blocked until a current artifact is on file (tax owner decides)", strings.ReplaceAll(string(t), "_", " "))
		return e
	}
	e.Passed, e.Answer = true, "tax artifact present"
	return e
}

func (p Policy) reviewGate(in GateInput) Evaluation {
	e := Evaluation{Gate: ReasonReview, Rule: ruleReview, Inputs: map[string]string{"amount": in.Amount.Decimal(), "currency": in.Amount.Currency}}
	if !in.Launch.applies(ReasonReview) {
		e.Inputs["applies"] = "false"
		e.Passed, e.Answer = true, "no compliance review in "+in.Launch.Doc.Key()+" by its launch document"
		return e
	}
	limit, ok := in.Launch.Review[in.Amount.Currency]
	if ok {
		e.Inputs["threshold_from"] = "market document"
	} else {
		limit, ok = p.ReviewThresholds[in.Amount.Currency]
	}
	needed := in.Launch.ApprovalsNeeded(in.Amount)
	if needed > 0 {
		e.Inputs["approvals_needed"] = fmt.Sprint(needed)
	}
	if !ok && needed == 0 {
		e.Inputs["threshold"] = "none"
		e.Passed, e.Answer = true, "no review threshold for "+in.Amount.Currency
		return e
	}
	why := ""
	if ok {
		e.Inputs["threshold"] = limit.Decimal()
		if in.Amount.Minor > limit.Minor {
			why = "above the " + limit.String() + " review threshold"
		}
	}
	if needed > 0 {
		why = fmt.Sprintf("at or above %s's approval rule (%s)", in.Launch.Doc.Key(), approvalsWord(needed))
	}
	switch {
	case why == "":
		e.Passed, e.Answer = true, "within the "+limit.String()+" review threshold"
	case in.Approved[ReasonReview]:
		e.Inputs["approved"] = "compliance release"
		e.Passed, e.Answer = true, in.Amount.String()+" is "+why+", approved by compliance"
	default:
		e.Answer = in.Amount.String() + " is " + why + ": compliance must review it"
	}
	return e
}

func approvalsWord(n int) string {
	if n == 1 {
		return "one compliance approval"
	}
	return fmt.Sprintf("%d compliance approvals by different people", n)
}

func (p Policy) marketGate(in GateInput) Evaluation {
	e := Evaluation{Gate: ReasonMarket, Rule: ruleMarket, Inputs: map[string]string{
		"market": in.Market, "launch_state": in.Launch.State,
	}}
	switch {
	case in.Launch.Live:
		e.Passed, e.Answer = true, "market "+in.Market+" is live"
	case in.Test:
		e.Inputs["test"] = "true"
		e.Passed, e.Answer = true, "a test payout moves no money: market "+in.Market+"'s launch state does not hold it"
	default:
		state := in.Launch.State
		if state == "" {
			state = "read-only"
		}
		e.Answer = "market " + in.Market + " is read-only (" + state + "): payouts there are held until its launch " +
			"document is complete and approved live"
	}
	return e
}

func (p Policy) fundingGate(in GateInput) Evaluation {
	e := Evaluation{Gate: ReasonFunding, Rule: ruleFunding, Inputs: map[string]string{"funding_hold": "none"}}
	if in.FundingHold {
		e.Inputs["funding_hold"] = "open"
		e.Answer = "the provider reported insufficient funds: fund the account, then release the funding hold"
		return e
	}
	e.Passed, e.Answer = true, "no insufficient-funds report outstanding"
	return e
}

// FundingReported is the funding gate's failed evaluation when the provider
// answers a submission with insufficient funds.
func FundingReported(providerAnswer string) Evaluation {
	e := Policy{}.fundingGate(GateInput{FundingHold: true})
	e.Inputs["provider_answer"] = providerAnswer
	e.Answer = "the provider reported insufficient funds (" + providerAnswer + "): fund the account, then release the hold"
	return e
}

// Failures returns the evaluations that did not pass.
func Failures(evals []Evaluation) []Evaluation {
	var out []Evaluation
	for _, e := range evals {
		if !e.Passed {
			out = append(out, e)
		}
	}
	return out
}
