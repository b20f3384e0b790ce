package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// holdForm is an action's input, checked: every action needs a written
// reason.
type holdForm struct {
	id   int64
	note string
}

const minNote = 5

func parseHoldForm(r *http.Request) (holdForm, error) {
	id, err := pathID(r)
	if err != nil {
		return holdForm{}, err
	}
	note, err := writtenReason(r)
	if err != nil {
		return holdForm{}, err
	}
	return holdForm{id: id, note: note}, nil
}

// pathID reads the route's {id}; one that is not a positive number names
// nothing, so it is not found.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// writtenReason returns the form's "note": every hold action needs one, of
// 5 to 1000 characters of plain text, for the audit log.
func writtenReason(r *http.Request) (string, error) {
	note := strings.TrimSpace(r.PostFormValue("note"))
	switch n := len([]rune(note)); {
	case n < minNote:
		return "", BadRequest("Write a reason of at least 5 characters: it goes to the audit log with your name.")
	case n > 1000:
		return "", BadRequest("The reason is longer than 1000 characters.")
	case payout.HasControl(note):
		return "", BadRequest("The reason contains control characters; write plain text.")
	}
	return note, nil
}

func actorOf(u User) store.Actor { return store.Actor{UserID: u.ID, Name: u.Email} }

// HoldAction performs one action on one hold from the payout page and
// returns to it. Roles are checked in web's routes and again here.
func (h *Handlers) HoldAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := UserFrom(r.Context())
		f, err := parseHoldForm(r)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		shown := store.AnyShown
		if action == "release" || action == "reject" {
			if shown, err = evidenceShown(r); err != nil {
				Fail(w, r, h.Log, err)
				return
			}
		}
		hd, done, err := h.act(r, u, action, f.id, f.note, false, shown)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, withQuery(views.PayoutPath(hd.ReferenceID, hd.Livemode), url.Values{"done": {done}}.Encode())+"#hold-"+strconv.FormatInt(f.id, 10))
	}
}

// evidenceShown reads what a release or rejection from the payout page
// was decided on: what the page showed of the hold ("seen"), which the
// store checks under the hold's lock (a form without it is refused).
// It refuses a form that would drop what it carried for evidence (a link, a
// tax artifact's state: those go with Add evidence, first).
func evidenceShown(r *http.Request) (store.Shown, error) {
	if strings.TrimSpace(r.PostFormValue("url")) != "" || r.PostFormValue("tax_artifact") != "" {
		return store.Shown{}, BadRequest("The link or tax artifact state you gave is evidence: add it with Add evidence first, then decide. Nothing was changed.")
	}
	return seenIn(r, "seen")
}

// shownOf is what a page that shows a hold puts in its form's "seen": the
// hold's newest evidence (0 for none) and the approvals given, "23.1".
func shownOf(lastEvidence int64, approvals int) string {
	return strconv.FormatInt(lastEvidence, 10) + "." + strconv.Itoa(approvals)
}

// seenIn reads what a page showed of a hold from form field name, as
// shownOf wrote it ("23.1"; "23" compares evidence only). Every page that
// offers a decision sends it; a form without it (hand-made, or from a page
// of before) is refused, not decided on whatever the hold holds now.
func seenIn(r *http.Request, name string) (store.Shown, error) {
	seen := r.PostFormValue(name)
	if seen == "" {
		return store.Shown{}, BadRequest("This decision does not say what your page showed of the hold: decide from " +
			"the payout's page or the holds queue. Nothing was changed.")
	}
	evidence, approvals, hasApprovals := strings.Cut(seen, ".")
	shown := store.Shown{Approvals: -1}
	var err error
	shown.Evidence, err = strconv.ParseInt(evidence, 10, 64)
	if err == nil && hasApprovals {
		shown.Approvals, err = strconv.Atoi(approvals)
	}
	if err != nil || shown.Evidence < 0 || (hasApprovals && shown.Approvals < 0) {
		return store.Shown{}, BadRequest("Decide from the payout's page or the holds queue.")
	}
	return shown, nil
}

// act performs action on hold id for u, from the bulk action when bulk, a
// release or rejection decided on a page that showed shown of the hold
// (store.AnyShown when none was compared), and returns the hold as the
// action left it (its payout's reference and mode) and a key saying what
// was done.
func (h *Handlers) act(r *http.Request, u User, action string, id int64, note string, bulk bool,
	shown store.Shown) (store.Hold, string, error) {
	ctx, by := r.Context(), actorOf(u)
	decide := action == "release" || action == "reject"
	need := payout.ActWorkHolds
	if decide {
		need = payout.ActDecideHolds
	}
	if !u.Role.Can(need) {
		return store.Hold{}, "", Forbidden(need)
	}
	switch action {
	case "release":
		var rel store.Released
		var err error
		if bulk {
			rel, err = h.Store.ReleaseHoldInBulk(ctx, id, by, note, h.Policy, shown)
		} else {
			rel, err = h.Store.ReleaseHold(ctx, id, by, note, h.Policy, shown)
		}
		if err != nil {
			return store.Hold{}, "", err
		}
		if rel.Approved {
			return rel.Hold, "approved", nil
		}
		if rel.Queued && rel.AtProvider {
			return rel.Hold, "released-at-provider", nil
		}
		if rel.Queued {
			return rel.Hold, "released", nil
		}
		return rel.Hold, "released-partly", nil
	case "reject":
		hd, err := h.Store.RejectHold(ctx, id, by, note, shown)
		return hd, "rejected", err
	case "escalate":
		hd, err := h.Store.EscalateHold(ctx, id, by, note)
		return hd, "escalated", err
	case "reassign":
		owner, err := strconv.ParseInt(r.PostFormValue("owner"), 10, 64)
		if err != nil || owner <= 0 {
			return store.Hold{}, "", BadRequest("Pick the user to give the hold to.")
		}
		hd, err := h.Store.ReassignHold(ctx, id, owner, by, note)
		return hd, "reassigned", err
	case "evidence":
		link := strings.TrimSpace(r.PostFormValue("url"))
		if len(link) > 2048 || payout.HasControl(link) {
			return store.Hold{}, "", BadRequest("The link must be a web address of at most 2048 characters.")
		}
		if link != "" {
			if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return store.Hold{}, "", BadRequest("The link must be a web address starting with https://.")
			}
		}
		var tax payout.TaxArtifact
		if s := r.PostFormValue("tax_artifact"); s != "" {
			t, err := payout.ParseTaxArtifact(s)
			if err != nil {
				return store.Hold{}, "", BadRequest("The tax artifact state " + err.Error() + ".")
			}
			tax = t
		}
		hd, err := h.Store.AddEvidence(ctx, id, by, note, link, tax)
		return hd, "evidence", err
	}
	return store.Hold{}, "", store.ErrNotFound
}

// notices are what the payout page says after an action's redirect.
var notices = map[string]string{
	"released":        "Hold released. The payout is back in the submission queue and goes to its provider within seconds.",
	"released-partly": "Hold released. The payout stays held until its other holds are decided.",
	"released-at-provider": "Hold released. The provider has this payout already (it answered about it while it was held): " +
		"nothing is sent again; its answer decides, at the reconciler's next look or when you press Re-check.",
	"approved":   "Approval recorded. The hold stays open until another compliance user gives the next approval; they see your note.",
	"rejected":   "Payout rejected: it is cancelled and will not be sent.",
	"escalated":  "Hold escalated to the reason's escalation owner.",
	"reassigned": "Hold reassigned.",
	"evidence":   "Evidence added.",
}

// redirect sends the browser to to after a successful action: HTMX follows
// HX-Redirect, a plain form a 303.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// maxBulk bounds one bulk action.
const maxBulk = 100

// selectedHolds reads every hold the form selects (at most maxBulk), before
// any is changed, so a bad selection changes nothing: ErrBadRequest for
// none, too many or one that is no number, ErrNotFound for one that is no
// hold.
func (h *Handlers) selectedHolds(r *http.Request) ([]store.Hold, error) {
	ids := r.PostForm["hold"]
	if len(ids) == 0 {
		return nil, BadRequest("Select at least one hold.")
	}
	if len(ids) > maxBulk {
		return nil, BadRequest(fmt.Sprintf("Select at most %d holds at once.", maxBulk))
	}
	var holds []store.Hold
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, BadRequest("The selection could not be read.")
		}
		hd, err := h.Store.HoldByID(r.Context(), id)
		if err != nil {
			return nil, err
		}
		holds = append(holds, hd)
	}
	return holds, nil
}

// HoldsBulk applies one action with one written reason to the selected
// holds, each on its own: one hold refused (four-eyes, a gate) does not stop
// the others. It answers with the list and what happened to each.
func (h *Handlers) HoldsBulk(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		Fail(w, r, h.Log, BadRequest("The form could not be read."))
		return
	}
	action := r.PostFormValue("action")
	switch action {
	case "release", "reject", "escalate", "reassign":
	default:
		Fail(w, r, h.Log, BadRequest("Pick an action: release, reject, escalate or reassign."))
		return
	}
	if action == "reassign" && r.PostFormValue("owner") == "" {
		Fail(w, r, h.Log, BadRequest("Pick the user to give the holds to."))
		return
	}
	if (action == "release" || action == "reject") && !u.Role.Can(payout.ActDecideHolds) {
		Fail(w, r, h.Log, Forbidden(payout.ActDecideHolds)) // before what the rows say: it is not theirs to decide
		return
	}
	holds, err := h.selectedHolds(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	note, err := writtenReason(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	// Each row carries what the queue showed of its hold: one that gained
	// evidence ("sanctions hit, do not release") or an approval since is
	// refused as on its payout's page. All are read before any hold is
	// changed, so a bad one changes nothing.
	seen := make([]store.Shown, len(holds))
	for i, hd := range holds {
		if seen[i], err = seenIn(r, "seen-"+strconv.FormatInt(hd.ID, 10)); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	var results []views.BulkResult
	for i, hd := range holds {
		res := views.BulkResult{Ref: hd.ReferenceID, Href: views.PayoutPath(hd.ReferenceID, hd.Livemode)}
		_, done, err := h.act(r, u, action, hd.ID, note, true, seen[i])
		switch {
		case errors.Is(err, ErrForbidden):
			Fail(w, r, h.Log, err)
			return
		case errors.Is(err, store.ErrRefused) || errors.Is(err, store.ErrFourEyes) || errors.Is(err, ErrBadRequest):
			res.Outcome = "not changed: " + err.Error()
		case err != nil:
			Fail(w, r, h.Log, err)
			return
		default:
			res.OK, res.Outcome = true, strings.ToLower(notices[done][:1])+notices[done][1:]
		}
		results = append(results, res)
	}
	// The list comes back as it was filtered (its first page); a filter not
	// of the page's making is dropped, the action being done.
	filters, err := url.ParseQuery(r.PostFormValue("filter"))
	if _, _, bad := parseHoldFilter(filters, u, h.Now()); err != nil || bad != nil {
		filters = url.Values{}
	}
	vm, err := h.holdsPage(r, holdFilters(filters), results)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.HoldsPage(vm), views.HoldsMain(vm))
}
