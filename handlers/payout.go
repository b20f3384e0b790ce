package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// refModeOf is the payout a page or an action on it means (views.PayoutPath):
// ?mode=test the reference's test payout, ?mode=live its live one, none the
// live one first (the test one when the reference has no live payout).
func refModeOf(r *http.Request) (store.RefMode, error) {
	switch r.URL.Query().Get("mode") {
	case "":
		return store.First(true), nil
	case "test":
		return store.Exactly(false), nil
	case "live":
		return store.Exactly(true), nil
	}
	return store.RefMode{}, BadRequest("mode is live or test: the payout's mode, as its links give it")
}

// Payout shows one payout, its status timeline and its audit log.
func (h *Handlers) Payout(w http.ResponseWriter, r *http.Request) {
	ref := strings.TrimSpace(r.PathValue("ref"))
	mode, err := refModeOf(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	p, err := h.Store.PayoutByRef(r.Context(), ref, mode)
	if errors.Is(err, store.ErrNotFound) {
		// A provider payout id, a UTR or an event id pasted into the
		// address: the payout it names, or the list of those it names.
		// The view's mode first, then the other, as a bare reference
		// opens the live payout or else the test one.
		test := testData(r.Context())
		refs, ferr := h.Store.IdentifierRefsPrimary(r.Context(), ref, 2, test)
		if ferr == nil && len(refs) == 0 {
			test = !test
			refs, ferr = h.Store.IdentifierRefsPrimary(r.Context(), ref, 2, test)
		}
		switch {
		case ferr != nil:
			err = ferr
		case len(refs) == 1:
			http.Redirect(w, r, views.PayoutPath(refs[0], !test), http.StatusSeeOther)
			return
		case len(refs) > 1:
			http.Redirect(w, r, "/payouts?"+url.Values{"q": {ref}}.Encode(), http.StatusSeeOther)
			return
		}
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	events, err := h.Store.EventsFor(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	audit, err := h.Store.PayoutAudit(r.Context(), p)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	deliveries, err := h.Store.DeliveriesFor(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	ledger, err := h.Store.LedgerFor(r.Context(), p)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	gates, err := h.Store.GateEvaluationsFor(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	now := h.Now()
	holds, err := h.holdCards(r.Context(), p, u, now)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.Payout{
		Meta: MetaFor(r, p.ReferenceID, ""), Ref: p.ReferenceID, Status: string(p.Status), Test: !p.Livemode,
		Amount: p.Amount().String(), Provider: p.Provider, ProviderPayoutID: dash(p.ProviderID()),
		ProviderState: dash(providerState(p)), WaitsForApproval: waitsForApproval(p),
		Mode: dash(p.Mode), Narration: dash(p.Narration), Beneficiary: beneficiary(p), Bank: dash(p.BankName),
		UTR: dash(p.UTR), Failure: dash(joinNonEmpty(p.FailureCode, p.FailureReason)),
		Created: u.stamp(p.CreatedAt), Updated: u.stamp(p.UpdatedAt) + " (" + agoPtr(now, &p.UpdatedAt) + ")",
		Submitted: u.stampPtr(p.SubmittedAt), LastChecked: u.stampPtr(p.LastCheckedAt), Fee: "—",
		CanRecheck: u.Role.Can(payout.ActRecheck) && (p.SubmittedAt != nil || p.OutcomeUnknown), RecheckURL: views.PayoutActionPath(p.ReferenceID, p.Livemode, "/recheck"),
		Market: marketLabel(p.Market, p.Program), TaxArtifact: p.TaxArtifact, Holds: holds, Gates: gateRounds(gates, u),
		Notice: notices[r.URL.Query().Get("done")], SubmitNote: submitNote(p, now),
	}
	if r.URL.Query().Get("rechecked") != "" {
		if vm.Notice, vm.NoticeKind, err = h.recheckNotice(r.Context(), p, u, now); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	if vm.RetryOf, vm.Retries, err = h.Store.RetryLinks(r.Context(), p); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	cases, err := h.Store.CasesFor(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	for _, c := range cases {
		row := caseRow(u, now, c)
		if !c.Open() {
			row.Due, row.DueLevel = c.State, ""
		}
		vm.Cases = append(vm.Cases, row)
	}
	if p.Status == payout.Queued && p.SubmittedAt == nil {
		pauses, err := h.Store.Pauses(r.Context())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		if pause, ok := store.PauseFor(pauses, p.Provider, p.Mode); ok {
			vm.SubmitNote = "waiting, not sent: " + pause.Reason() + ". Nothing is lost: it stays queued and goes when " +
				"sending resumes (see Providers)."
		}
	}
	if p.FeeMinor != nil {
		vm.Fee = payout.Money{Minor: *p.FeeMinor, Currency: p.Currency}.String()
	}
	vm.Timeline = timeline(u, p.Provider, events, deliveries, audit)
	archives, err := h.Store.ArchivesSince(r.Context(), p.CreatedAt)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	// Most of its history is in the months to its last change, check or
	// answer; later months hold at most what changed nothing (a duplicate
	// webhook, a note on its hold).
	last := p.UpdatedAt
	for _, t := range []*time.Time{p.LastCheckedAt, p.LastAnsweredAt} {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	vm.Archived = archivedHistory(archives, last)
	for _, e := range ledger {
		row := views.LedgerRow{At: u.stamp(e.PostedAt), Kind: e.Kind, Account: e.Account}
		amt := payout.Money{Minor: e.AmountMinor, Currency: e.Currency}.String()
		if e.Direction == "debit" {
			row.Debit = amt
		} else {
			row.Credit = amt
		}
		vm.Ledger = append(vm.Ledger, row)
	}
	for _, a := range audit {
		vm.Audit = append(vm.Audit, views.AuditRow{At: u.stamp(a.At), Actor: a.Actor, Action: a.Action,
			Sentence: auditSentence(a), Details: maskedJSON(a.Details)})
	}
	Render(w, r, http.StatusOK, views.PayoutPage(vm), nil)
}

// submitNote says where the payout stands with the submission worker.
func submitNote(p store.Payout, now time.Time) string {
	switch {
	case p.SubmittedAt != nil:
		return "sent, " + ago(now, *p.SubmittedAt) + " ago"
	case p.Status == payout.Held:
		return "held: not sent until its holds are released"
	case p.Status != payout.Queued:
		return "—"
	case p.LastSubmitError != "":
		next := "soon"
		if p.NextSubmitAt != nil && p.NextSubmitAt.After(now) {
			next = "in " + ago(*p.NextSubmitAt, now)
		}
		return fmt.Sprintf("attempt %d failed (%s); next try %s", p.SubmitAttempts, p.LastSubmitError, next)
	}
	return "in the submission queue"
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

// providerState is the provider's own word for the payout's state, with
// its reason when it gave one: "queued — low_balance: Your account balance
// is low."; "" when no provider has said anything yet.
func providerState(p store.Payout) string {
	if p.ProviderStateReason == "" {
		return p.ProviderState
	}
	return p.ProviderState + " — " + p.ProviderStateReason
}

// waitsForApproval says, for a payout the provider holds for an approval in
// its own workflow, who can move it; "" otherwise.
func waitsForApproval(p store.Payout) string {
	if !p.PendingApproval {
		return ""
	}
	name := payout.ProviderLabel(p.Provider)
	return "Waiting for approval at " + name + ": someone with access to " + name +
		" approves or rejects it there. Re-check only shows whether that has happened yet, and the delay is not " +
		name + "'s fault."
}

// archivedHistory says, for each month archived from the payout's creation
// to its last change (last), that the history before the month after it is
// in its file, and where it was restored to, if it was; the months archived
// after that are one line, naming their folder.
func archivedHistory(archives []store.Archive, last time.Time) []string {
	var out []string
	lastMonth := time.Date(last.UTC().Year(), last.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	var later []store.Archive
	for _, a := range archives {
		if a.Month.After(lastMonth) {
			later = append(later, a)
			continue
		}
		line := fmt.Sprintf("%s before %s (UTC) are archived: %s of %s is in %s (%d rows, SHA-256 %s…)", historyLabel(a.Table),
			a.Month.AddDate(0, 1, 0).Format("January 2006"), a.Table, a.Month.Format("2006-01"), a.File, a.Rows,
			a.SHA256[:12])
		if a.RestoredTable != nil {
			line += "; restored for an investigation into table " + *a.RestoredTable
		} else {
			line += "; payops archive restore FILE loads it into a side table to query"
		}
		out = append(out, line)
	}
	if n := len(later); n > 0 {
		out = append(out, fmt.Sprintf("%d later file%s (%s to %s, in %s) may hold what came after its last change and changed "+
			"nothing: a duplicate webhook, a note on its hold", n, plural(n), later[0].Month.Format("2006-01"),
			later[n-1].Month.Format("2006-01"), filepath.Dir(later[0].File)))
	}
	return out
}
