package handlers

import (
	"fmt"
	"sort"
	"strings"

	"payops/payout"
	"payops/views"
)

// docRules says what a launch document makes payops do, in words, for the
// market page: the gates, thresholds, approvals, unblock evidence and
// settlement path in force.
func docRules(d payout.LaunchDoc) []views.RuleRow {
	gates := "every release gate"
	if len(d.Gates) > 0 {
		names := make([]string, len(d.Gates))
		for i, g := range d.Gates {
			names[i] = string(g)
		}
		gates = strings.Join(names, ", ") + " (beneficiary, market and funding always apply)"
	}
	switch {
	case d.TaxArtifactsRequired == nil:
		gates += "; tax artifacts: not stated"
	case *d.TaxArtifactsRequired:
		gates += "; tax artifacts required"
	default:
		gates += "; tax artifacts not required"
	}
	rows := []views.RuleRow{{Name: "Gates", Text: gates}}

	review := "the configured thresholds (PAYOPS_REVIEW_THRESHOLDS)"
	if th := d.Thresholds(); len(th) > 0 {
		var parts []string
		for _, m := range th {
			parts = append(parts, "above "+m.String())
		}
		sort.Strings(parts)
		review = strings.Join(parts, "; ") + " (other currencies: the configured thresholds)"
	}
	rows = append(rows, views.RuleRow{Name: "Compliance review", Text: review})

	approvals := "one compliance release of a review hold"
	if len(d.Approvals) > 0 {
		var parts []string
		for _, a := range d.Approvals {
			m, _ := payout.ParseMoney(a.AtOrAbove, a.Currency)
			s := fmt.Sprintf("at or above %s: %d approval", m.String(), a.Approvers)
			if a.Approvers > 1 {
				s = fmt.Sprintf("at or above %s: %d approvals by different people, in order", m.String(), a.Approvers)
			}
			if a.Bulk {
				s += ", bulk allowed"
			} else {
				s += ", each on the payout's page"
			}
			parts = append(parts, s)
		}
		approvals = strings.Join(parts, "; ")
	}
	rows = append(rows, views.RuleRow{Name: "Approvals", Text: approvals})

	unblock := "none asked"
	if len(d.HoldReasons) > 0 {
		var parts []string
		for _, h := range d.HoldReasons {
			parts = append(parts, string(h.Reason)+": "+h.UnblockEvidence)
		}
		unblock = strings.Join(parts, "; ")
	}
	rows = append(rows, views.RuleRow{Name: "Unblock evidence", Text: unblock})

	s := d.Settlement
	rows = append(rows, views.RuleRow{Name: "Settlement", Text: fmt.Sprintf("%s; posting window %s; fee: %s; completed means %s; exceptions: %s",
		orNotStated(s.Rail), orNotStated(s.PostingWindow), orNotStated(s.FeeTreatment), orNotStated(s.CompletedMeans),
		orNotStated(s.ExceptionPath))})
	return rows
}

func orNotStated(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not stated"
	}
	return s
}
