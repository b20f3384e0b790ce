package payout

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Validate checks every field given and puts amounts in their exact form;
// it returns the first problem as a *FieldError. A field left out is not
// an error here: Missing says what a live document still needs. Program
// "" becomes DefaultProgram.
func (d *LaunchDoc) Validate() error {
	if !IsCountry(d.Market) {
		return &FieldError{Field: "market", Msg: fmt.Sprintf("%q is not an ISO 3166 country code such as IN", d.Market)}
	}
	if d.Program == "" {
		d.Program = DefaultProgram
	}
	if !programPattern.MatchString(d.Program) {
		return d.fieldErr("program", "%q is not a program name: lower-case letters, digits, - and _", d.Program)
	}
	for _, o := range d.Owners.fields() {
		if *o.value = strings.TrimSpace(*o.value); *o.value != "" && !emailPattern.MatchString(*o.value) {
			return d.fieldErr("owners."+o.name, "%q is not a payops user's email", *o.value)
		}
	}
	for i, g := range d.Gates {
		if !isReleaseGate(g) {
			return d.fieldErr(fmt.Sprintf("gates[%d]", i), "%q is not a release gate: use %s", g, releaseGateNames())
		}
	}
	seen := map[Reason]bool{}
	for i, h := range d.HoldReasons {
		field := fmt.Sprintf("hold_reasons[%d]", i)
		if _, err := ParseReason(string(h.Reason)); err != nil {
			return d.fieldErr(field+".reason", "%q is not a hold reason", h.Reason)
		}
		if seen[h.Reason] {
			return d.fieldErr(field+".reason", "%s is listed twice", h.Reason)
		}
		seen[h.Reason] = true
		if strings.TrimSpace(h.UnblockEvidence) == "" {
			return d.fieldErr(field+".unblock_evidence", "say what must be attached before a %s hold is released", h.Reason)
		}
	}
	for cur, amount := range d.ReviewThresholds {
		m, err := ParseMoney(amount, cur)
		if err != nil {
			return d.fieldErr("review_thresholds."+cur, "%v", err)
		}
		d.ReviewThresholds[cur] = m.Decimal()
	}
	curs := map[string]bool{}
	for i := range d.Approvals {
		a := &d.Approvals[i]
		field := fmt.Sprintf("approvals[%d]", i)
		m, err := ParseMoney(a.AtOrAbove, a.Currency)
		if errors.Is(err, ErrCurrency) {
			return d.fieldErr(field+".currency", "%v", err)
		}
		if err != nil {
			return d.fieldErr(field+".at_or_above", "%v", err)
		}
		a.AtOrAbove = m.Decimal()
		if a.Approvers != 1 && a.Approvers != 2 {
			return d.fieldErr(field+".approvers", "must be 1 or 2, not %d", a.Approvers)
		}
		if curs[a.Currency] {
			return d.fieldErr(field+".currency", "%s has a rule already: one approval rule per currency", a.Currency)
		}
		curs[a.Currency] = true
	}
	if err := d.rulesWithoutGate(); err != nil {
		return err
	}
	if r := d.Settlement.Rail; r != "" && r != RailFiat && r != RailStablecoin {
		return d.fieldErr("settlement.rail", "%q is not a rail: use fiat or stablecoin", r)
	}
	return nil
}

// rulesWithoutGate refuses a rule the document's own gates list switches
// off: approvals and review thresholds without the review gate, required
// tax artifacts without the tax gate. Loaded, such a rule would be shown in
// force on the market's page while no payout were ever held by it.
func (d LaunchDoc) rulesWithoutGate() error {
	if len(d.Gates) == 0 {
		return nil // every gate applies
	}
	has := func(g Reason) bool { return slices.Contains(d.Gates, g) }
	switch {
	case !has(ReasonReview) && len(d.Approvals) > 0:
		return d.fieldErr("approvals", "approval rules need the %s gate, which gates leaves out: add it or remove the rules", ReasonReview)
	case !has(ReasonReview) && len(d.ReviewThresholds) > 0:
		return d.fieldErr("review_thresholds", "review thresholds need the %s gate, which gates leaves out: add it or remove them", ReasonReview)
	case !has(ReasonTax) && d.TaxArtifactsRequired != nil && *d.TaxArtifactsRequired:
		return d.fieldErr("tax_artifacts_required", "required tax artifacts need the %s gate, which gates leaves out: add it or set false", ReasonTax)
	}
	return nil
}

func (d LaunchDoc) fieldErr(field, format string, args ...any) error {
	return &FieldError{Doc: d.Key(), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// MarketCodes reads a comma-separated list of markets, such as the old
// PAYOPS_READ_ONLY_MARKETS ("PH, vn"): the ISO 3166 codes in it, in upper
// case; anything else in the list is left out.
func MarketCodes(list string) []string {
	var out []string
	for f := range strings.SplitSeq(list, ",") {
		if c := strings.ToUpper(strings.TrimSpace(f)); IsCountry(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
