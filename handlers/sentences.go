package handlers

import (
	"encoding/json"
	"fmt"
	"strings"

	"payops/payout"
	"payops/store"
)

// auditSentence says what an audit entry records, as a sentence an
// operator reads: who did what, with their note. The entry's JSON stays one
// click away on the pages; an action it does not know reads as its name
// and details.
func auditSentence(e store.AuditEntry) string {
	var d map[string]any
	json.Unmarshal(e.Details, &d)
	// s is a detail as text, "" when the entry has none (scalar says "—"
	// for a missing one, which would read as present).
	s := func(k string) string {
		if v, ok := d[k]; ok && v != nil && v != "" {
			return scalar(v)
		}
		return ""
	}
	hold := "hold #" + s("hold")
	note := func(prefix string) string {
		if n := s("note"); n != "" {
			return prefix + ": “" + n + "”"
		}
		return prefix
	}
	switch e.Action {
	case "payout.create":
		amount := s("amount") + " " + s("currency")
		if m, err := payout.ParseMoney(s("amount"), s("currency")); err == nil {
			amount = m.String() // grouped, as every page shows amounts
		}
		return fmt.Sprintf("Payout of %s to %s came in (%s)", amount, s("provider"), strings.ToUpper(s("status")))
	case "hold.place":
		return fmt.Sprintf("Held (%s, %s): %s", hold, reasonLabel(s("reason")), s("detail"))
	case "hold.evidence":
		return note(fmt.Sprintf("Evidence added to %s (%s)", hold, s("kind")))
	case "hold.approve":
		return note(fmt.Sprintf("Approval %s of %s given on %s; the hold stays open for the next approver", s("approval"), s("of"), hold))
	case "hold.release":
		if s("approval") != "" {
			return note(fmt.Sprintf("Approval %s of %s given and %s released", s("approval"), s("of"), hold))
		}
		return note("Released " + hold)
	case "hold.release_refused":
		return fmt.Sprintf("Release of %s refused: %s", hold, s("answer"))
	case "hold.reject":
		return note("Rejected " + hold + ": the payout is cancelled and never sent")
	case "hold.reassign":
		return note(fmt.Sprintf("%s given to %s", upperFirst(hold), dash(s("to"))))
	case "hold.escalate":
		return note(fmt.Sprintf("%s escalated from %s to %s", upperFirst(hold), dash(s("from")), dash(s("to"))))
	case "exception.open":
		return fmt.Sprintf("Case opened (%s): %s", reasonLabel(s("kind")), s("summary"))
	case "exception.classify":
		return fmt.Sprintf("Classified as a %s failure (%s)", payout.FailureClass(s("class")).Label(), s("failure_code"))
	case "exception.close":
		return "Closed by itself: " + dash(s("note"))
	case "exception.recheck":
		return fmt.Sprintf("Re-checked with the provider: %s (the payout is %s)", s("said"), s("status"))
	case "exception.resolve":
		return note("Resolved")
	case "exception.reassign":
		return note("Given to " + dash(s("to")))
	case "exception.escalate":
		if s("why") != "" {
			return "Escalated: " + s("why")
		}
		return note(fmt.Sprintf("Escalated from %s to %s", dash(s("from")), dash(s("to"))))
	case "market.apply":
		state := "read-only"
		if s("live") == "true" {
			state = "live"
		}
		return reasonNote(fmt.Sprintf("Launch document version %s loaded, %s", dash(s("version")), state), s("reason"))
	case "market.propose":
		return reasonNote(fmt.Sprintf("Proposal #%s to take the market live", s("proposal")), s("reason"))
	case "market.approve":
		return reasonNote(fmt.Sprintf("Proposal #%s approved: version %s is live", s("proposal"), dash(s("version"))), s("reason"))
	case "market.withdraw":
		return reasonNote(fmt.Sprintf("Proposal #%s withdrawn", s("proposal")), s("reason"))
	case "market.read_only":
		return reasonNote(fmt.Sprintf("Put back to read-only (version %s)", dash(s("version"))), s("reason"))
	case "exception.retry":
		return note(fmt.Sprintf("%s sent again as a new instruction, %s", s("failed"), s("retry")))
	case "payout.observe":
		return fmt.Sprintf("The provider said %s (%s): %s", s("observed"), s("source"), s("decision"))
	case "payout.check_failed":
		return fmt.Sprintf("Could not ask the provider (%s): %s", s("source"), s("error"))
	}
	var parts []string
	for _, kv := range flatDetails(auditDetails(e.Details)) {
		parts = append(parts, kv.Key+" "+kv.Value)
	}
	if len(parts) == 0 {
		return e.Action
	}
	return e.Action + ": " + strings.Join(parts, ", ")
}

// reasonLabel is a hold reason as people read it.
func reasonLabel(r string) string { return strings.ReplaceAll(r, "_", " ") }

// eventSentence says what an observation of the payout was and what payops
// made of it, in the provider's own words: "sandbox said SUCCESS
// (payout.success): moved to SUCCEEDED, UTR 1234".
func eventSentence(e store.Event, provider, eventType string) string {
	said := e.RawStatus
	if said == "" {
		said = e.Status
	}
	var b strings.Builder
	switch e.Source {
	case payout.SourceWebhook:
		fmt.Fprintf(&b, "%s said %s", provider, said)
		if eventType != "" {
			fmt.Fprintf(&b, " (%s)", eventType)
		}
	case payout.SourcePoll:
		fmt.Fprintf(&b, "Asked %s: it said %s", provider, said)
	case payout.SourceManual:
		fmt.Fprintf(&b, "%s re-checked with %s: it said %s", e.Actor, provider, said)
	default:
		if e.Previous != "" && e.Status != "" {
			fmt.Fprintf(&b, "%s → %s", e.Previous, e.Status)
		} else {
			b.WriteString(dash(e.Status))
		}
	}
	if e.Decision == "error" {
		return fmt.Sprintf("Could not ask %s: %s", provider, e.Detail)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.UTR != "" {
		b.WriteString(", UTR " + e.UTR)
	}
	if e.FailureCode != "" || e.FailureReason != "" {
		b.WriteString(", failure " + joinNonEmpty(e.FailureCode, e.FailureReason))
	}
	return b.String()
}

// reasonNote adds a written reason to a sentence, when there is one.
func reasonNote(sentence, reason string) string {
	if reason == "" {
		return sentence
	}
	return sentence + ": “" + reason + "”"
}
