package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// The market page's actions: propose, approve or withdraw a document, and
// put a market back to read-only.

// maxDocument caps a proposed document's size.
const maxDocument = 32 << 10

// ProposeMarket records an admin's proposed document, with a reason, for
// another admin to approve. A refused document answers 422 with the page
// and the message naming the field.
func (h *Handlers) ProposeMarket(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActLaunchMarkets) {
		Fail(w, r, h.Log, Forbidden(payout.ActLaunchMarkets))
		return
	}
	// The dashboard's forms are read whole, up to 64 KiB, before this
	// handler (web's textOnly); the document's own cap is checked below.
	if err := r.ParseForm(); err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); !tooLarge {
			err = BadRequest("The form could not be read.")
		}
		Fail(w, r, h.Log, err) // over the cap: 413, not an "empty document"
		return
	}
	code, program, err := marketOf(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	draft, reason := r.PostFormValue("document"), strings.TrimSpace(r.PostFormValue("reason"))
	docs, err := payout.ParseLaunchDocs([]byte(draft))
	problem := ""
	switch {
	case len(draft) > maxDocument:
		problem = fmt.Sprintf("document: %d KiB, more than the %d KiB a launch document may be", (len(draft)+1023)>>10, maxDocument>>10)
	case err != nil:
		problem = err.Error()
	case len(docs) != 1 || docs[0].Market != code || docs[0].Program != program:
		problem = fmt.Sprintf("market: this page proposes one document, for %s/%s", code, program)
	case reason == "":
		problem = "say why the document changes"
	}
	if problem == "" {
		if _, err := h.Store.ProposeMarketDoc(r.Context(), docs[0], actorOf(u), reason); err != nil {
			var fe *payout.FieldError
			if !errors.As(err, &fe) {
				Fail(w, r, h.Log, err)
				return
			}
			problem = err.Error()
		}
	}
	if problem != "" {
		vm, err := h.marketView(r, code, program)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		vm.Draft, vm.Reason, vm.Error = draft, reason, upperFirst(problem)
		Render(w, r, http.StatusUnprocessableEntity, views.MarketPage(vm), nil)
		return
	}
	http.Redirect(w, r, marketHref(code, program)+donePrefix(program)+"proposed#proposal", http.StatusSeeOther)
}

func donePrefix(program string) string {
	if program == payout.DefaultProgram {
		return "?done="
	}
	return "&done="
}

// ApproveMarket applies another admin's proposal, with a reason.
func (h *Handlers) ApproveMarket(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActLaunchMarkets) {
		Fail(w, r, h.Log, Forbidden(payout.ActLaunchMarkets))
		return
	}
	code, program, id, reason, err := h.proposalDecision(r, "Say why you approve the change.")
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	accept := r.PostFormValue("accept_unverified") == "1"
	if _, err := h.Store.ApproveMarketProposal(r.Context(), id, actorOf(u), reason, accept); err != nil {
		var fe *payout.FieldError
		switch {
		case errors.As(err, &fe) && fe.Field == "live":
			// A well-formed proposal the market's state refuses (its
			// checklist, a stop): a conflict, not a bad request.
			err = store.Refused("%s", upperFirst(err.Error()))
		case errors.As(err, &fe):
			err = BadRequest(upperFirst(err.Error()))
		}
		Fail(w, r, h.Log, err)
		return
	}
	http.Redirect(w, r, marketHref(code, program)+donePrefix(program)+"approved", http.StatusSeeOther)
}

// proposalDecision reads a decision on a market's proposal from the
// market's page: the market and program, the proposal, and the written
// reason (noReason says it is missing). A proposal that is not the open one
// of the page's market and program is refused: an approval or withdrawal
// posted to IN's page acts on IN's proposal only (409, as for one decided or
// withdrawn meanwhile by another admin).
func (h *Handlers) proposalDecision(r *http.Request, noReason string) (code, program string, id int64, reason string,
	err error) {
	if code, program, err = marketOf(r); err != nil {
		return
	}
	id, err = strconv.ParseInt(r.PostFormValue("proposal"), 10, 64)
	if err != nil || id <= 0 {
		err = BadRequest("Decide on a proposal from the market's page.")
		return
	}
	if reason = strings.TrimSpace(r.PostFormValue("reason")); reason == "" {
		err = BadRequest(noReason)
		return
	}
	p, err := h.Store.OpenMarketProposal(r.Context(), code, program)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil || p.ID != id {
		err = store.Refused("proposal #%d is not the one waiting for %s/%s now (decided, withdrawn or another "+
			"market's): load the page again", id, code, program)
	}
	return
}

// WithdrawMarket withdraws the market's open proposal, by its proposer or
// another admin, with a reason.
func (h *Handlers) WithdrawMarket(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActLaunchMarkets) {
		Fail(w, r, h.Log, Forbidden(payout.ActLaunchMarkets))
		return
	}
	code, program, id, reason, err := h.proposalDecision(r, "Say why the proposal is withdrawn.")
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if _, err := h.Store.WithdrawMarketProposal(r.Context(), id, actorOf(u), reason); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	http.Redirect(w, r, marketHref(code, program)+donePrefix(program)+"withdrawn", http.StatusSeeOther)
}

// MarketReadOnly puts a live market back to read-only at once, by one
// admin with a reason.
func (h *Handlers) MarketReadOnly(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActLaunchMarkets) {
		Fail(w, r, h.Log, Forbidden(payout.ActLaunchMarkets))
		return
	}
	code, program, err := marketOf(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		Fail(w, r, h.Log, BadRequest("Say why the market goes back to read-only."))
		return
	}
	if _, err := h.Store.SetMarketReadOnly(r.Context(), code, program, actorOf(u), reason); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	http.Redirect(w, r, marketHref(code, program)+donePrefix(program)+"read-only", http.StatusSeeOther)
}
