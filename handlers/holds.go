package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// HoldStore is what the holds pages read and write.
type HoldStore interface {
	OpenHolds(ctx context.Context, f store.HoldFilter) ([]store.Hold, int, error)
	CountHolds(ctx context.Context, now time.Time) (store.HoldCounts, error)
	HoldByID(ctx context.Context, id int64) (store.Hold, error)
	HoldsFor(ctx context.Context, payoutID int64) ([]store.Hold, error)
	EvidenceFor(ctx context.Context, payoutID int64) ([]store.Evidence, error)
	ReleaseHold(ctx context.Context, holdID int64, by store.Actor, note string, policy payout.Policy) (store.Released, error)
	RejectHold(ctx context.Context, holdID int64, by store.Actor, note string) (store.Hold, error)
	ReassignHold(ctx context.Context, holdID, ownerID int64, by store.Actor, note string) (store.Hold, error)
	EscalateHold(ctx context.Context, holdID int64, by store.Actor, note string) (store.Hold, error)
	AddEvidence(ctx context.Context, holdID int64, by store.Actor, note, url string, tax payout.TaxArtifact) (store.Hold, error)
	HoldReasons(ctx context.Context) ([]store.HoldReason, error)
	UpdateHoldReasons(ctx context.Context, by store.Actor, changes []store.HoldReasonChange) error
	ActiveUsers(ctx context.Context) ([]store.User, error)
}

const holdsPageSize = 50

// Holds lists open holds, escalated and overdue first, filtered by reason
// and owner ("mine", "none", or a user).
func (h *Handlers) Holds(w http.ResponseWriter, r *http.Request) {
	vm, err := h.holdsPage(r, r.URL.Query(), nil)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.HoldsPage(vm), nil)
}

func (h *Handlers) holdsPage(r *http.Request, q url.Values, results []views.BulkResult) (views.Holds, error) {
	u, _ := UserFrom(r.Context())
	now := h.Now()
	f := store.HoldFilter{Now: now, Limit: holdsPageSize}
	vm := views.Holds{Meta: MetaFor(r, "Holds", "holds"), Reason: q.Get("reason"), Owner: q.Get("owner"),
		CanAct: u.Role.Can(payout.ActWorkHolds), CanDecide: u.Role.Can(payout.ActDecideHolds), Results: results, Page: 1}
	var notes []string
	if vm.Reason != "" {
		reason, err := payout.ParseReason(vm.Reason)
		if err != nil {
			return vm, BadRequest(fmt.Sprintf("Unknown hold reason %q. Choose one from the list.", vm.Reason))
		}
		f.Reason = reason
	}
	switch vm.Owner {
	case "":
	case "mine":
		f.OwnerID = u.ID
		notes = append(notes, "owned by you")
	case "none":
		f.OwnerID = -1
		notes = append(notes, "without an owner")
	default:
		id, err := strconv.ParseInt(vm.Owner, 10, 64)
		if err != nil || id <= 0 {
			return vm, BadRequest("The owner must be picked from the list.")
		}
		f.OwnerID = id
		notes = append(notes, "of that owner")
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return vm, BadRequest("The page number must be a whole number from 1.")
		}
		vm.Page = n
	}
	f.Offset = (vm.Page - 1) * holdsPageSize
	holds, total, err := h.Store.OpenHolds(r.Context(), f)
	if err != nil {
		return vm, err
	}
	counts, err := h.Store.CountHolds(r.Context(), now)
	if err != nil {
		return vm, err
	}
	users, err := h.Store.ActiveUsers(r.Context())
	if err != nil {
		return vm, err
	}
	reasons, err := h.Store.HoldReasons(r.Context())
	if err != nil {
		return vm, err
	}
	for _, re := range reasons {
		vm.Reasons = append(vm.Reasons, views.Option{Value: string(re.Reason), Label: re.Label})
		if re.Reason == f.Reason {
			notes = append(notes, "for “"+re.Label+"”")
		}
	}
	vm.Owners = userOptions(users)
	vm.Total, vm.Overdue, vm.FilterNote = total, counts.Overdue, strings.Join(notes, " ")
	vm.Pages = (total + holdsPageSize - 1) / holdsPageSize
	for _, hd := range holds {
		due, level := dueIn(now, hd)
		vm.Rows = append(vm.Rows, views.HoldRow{
			ID: strconv.FormatInt(hd.ID, 10), Ref: hd.ReferenceID, Href: payoutHref(hd.ReferenceID) + "#hold-" + strconv.FormatInt(hd.ID, 10),
			Reason: hd.ReasonLabel, Detail: hd.Detail, Owner: hd.OwnerName, Age: ago(now, hd.PlacedAt),
			Due: due, DueAt: hd.SLADueAt.UTC().Format(time.RFC3339), DueLevel: level, Escalated: hd.EscalatedAt != nil, Amount: hd.Amount().String(),
			Beneficiary: hd.BeneficiaryName + " · XXXX" + hd.AccountLast4,
		})
	}
	link := func(n int) string {
		v := url.Values{}
		for _, k := range []string{"reason", "owner"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/holds?" + v.Encode()
	}
	if vm.Page > 1 {
		vm.PrevHref = link(vm.Page - 1)
	}
	if vm.Page < vm.Pages {
		vm.NextHref = link(vm.Page + 1)
	}
	return vm, nil
}

func userOptions(users []store.User) []views.Option {
	out := make([]views.Option, 0, len(users))
	for _, u := range users {
		out = append(out, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name + " (" + string(u.Role) + ")"})
	}
	return out
}

func payoutHref(ref string) string { return "/payouts/" + url.PathEscape(ref) }

// dueIn says when an open hold's SLA runs out, and how urgent that is:
// "bad" once overdue or escalated, "warn" within the hour.
func dueIn(now time.Time, h store.Hold) (string, string) {
	left := h.SLADueAt.Sub(now)
	switch {
	case left < 0:
		return "overdue by " + ago(now, h.SLADueAt), "bad"
	case h.EscalatedAt != nil:
		return "due in " + ago(h.SLADueAt, now), "bad"
	case left < time.Hour:
		return "due in " + ago(h.SLADueAt, now), "warn"
	}
	return "due in " + ago(h.SLADueAt, now), ""
}

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
		ref, done, err := h.act(r, u, action, f.id, f.note)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, payoutHref(ref)+"?done="+done+"#hold-"+strconv.FormatInt(f.id, 10))
	}
}

// act performs action on hold id for u and returns the payout's reference
// and a key saying what was done.
func (h *Handlers) act(r *http.Request, u User, action string, id int64, note string) (string, string, error) {
	ctx, by := r.Context(), actorOf(u)
	decide := action == "release" || action == "reject"
	if (decide && !u.Role.Can(payout.ActDecideHolds)) || (!decide && !u.Role.Can(payout.ActWorkHolds)) {
		return "", "", ErrForbidden
	}
	switch action {
	case "release":
		rel, err := h.Store.ReleaseHold(ctx, id, by, note, h.Policy)
		if err != nil {
			return "", "", err
		}
		if rel.Queued {
			return rel.Hold.ReferenceID, "released", nil
		}
		return rel.Hold.ReferenceID, "released-partly", nil
	case "reject":
		hd, err := h.Store.RejectHold(ctx, id, by, note)
		return hd.ReferenceID, "rejected", err
	case "escalate":
		hd, err := h.Store.EscalateHold(ctx, id, by, note)
		return hd.ReferenceID, "escalated", err
	case "reassign":
		owner, err := strconv.ParseInt(r.PostFormValue("owner"), 10, 64)
		if err != nil || owner <= 0 {
			return "", "", BadRequest("Pick the user to give the hold to.")
		}
		hd, err := h.Store.ReassignHold(ctx, id, owner, by, note)
		return hd.ReferenceID, "reassigned", err
	case "evidence":
		link := strings.TrimSpace(r.PostFormValue("url"))
		if len(link) > 2048 || payout.HasControl(link) {
			return "", "", BadRequest("The link must be a web address of at most 2048 characters.")
		}
		if link != "" {
			if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return "", "", BadRequest("The link must be a web address starting with https://.")
			}
		}
		var tax payout.TaxArtifact
		if s := r.PostFormValue("tax_artifact"); s != "" {
			t, err := payout.ParseTaxArtifact(s)
			if err != nil {
				return "", "", BadRequest("The tax artifact state " + err.Error() + ".")
			}
			tax = t
		}
		hd, err := h.Store.AddEvidence(ctx, id, by, note, link, tax)
		return hd.ReferenceID, "evidence", err
	}
	return "", "", store.ErrNotFound
}

// notices are what the payout page says after an action's redirect.
var notices = map[string]string{
	"released":        "Hold released. The payout is back in the submission queue and goes to its provider within seconds.",
	"released-partly": "Hold released. The payout stays held until its other holds are decided.",
	"rejected":        "Payout rejected: it is cancelled and will not be sent.",
	"escalated":       "Hold escalated to the reason's escalation owner.",
	"reassigned":      "Hold reassigned.",
	"evidence":        "Evidence added.",
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
	ids := r.PostForm["hold"]
	if len(ids) == 0 {
		Fail(w, r, h.Log, BadRequest("Select at least one hold."))
		return
	}
	if len(ids) > maxBulk {
		Fail(w, r, h.Log, BadRequest(fmt.Sprintf("Select at most %d holds at once.", maxBulk)))
		return
	}
	note, err := writtenReason(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	// Every selected hold is read before any is changed: a bad selection
	// changes nothing.
	var holds []store.Hold
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			Fail(w, r, h.Log, BadRequest("The selection could not be read."))
			return
		}
		hd, err := h.Store.HoldByID(r.Context(), id)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		holds = append(holds, hd)
	}
	var results []views.BulkResult
	for _, hd := range holds {
		res := views.BulkResult{Ref: hd.ReferenceID, Href: payoutHref(hd.ReferenceID)}
		_, done, err := h.act(r, u, action, hd.ID, note)
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
	vm, err := h.holdsPage(r, url.Values{}, results)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.HoldsPage(vm), views.HoldsMain(vm))
}

// holdCards builds the payout page's hold cards for user u.
func (h *Handlers) holdCards(ctx context.Context, p store.Payout, u User, now time.Time) ([]views.HoldCard, error) {
	holds, err := h.Store.HoldsFor(ctx, p.ID)
	if err != nil || len(holds) == 0 {
		return nil, err
	}
	evidence, err := h.Store.EvidenceFor(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	users, err := h.Store.ActiveUsers(ctx)
	if err != nil {
		return nil, err
	}
	reasons, err := h.Store.HoldReasons(ctx)
	if err != nil {
		return nil, err
	}
	next := map[payout.Reason]string{}
	for _, re := range reasons {
		next[re.Reason] = re.NextOwnerName
	}
	var taxStates []string
	for _, t := range payout.TaxArtifacts {
		taxStates = append(taxStates, string(t))
	}
	var out []views.HoldCard
	for _, hd := range holds {
		id := strconv.FormatInt(hd.ID, 10)
		c := views.HoldCard{
			ID: id, Reason: hd.ReasonLabel, Detail: hd.Detail, State: hd.State, Owner: hd.OwnerName,
			PlacedBy: hd.PlacedBy, Placed: agoPtr(now, &hd.PlacedAt), Escalated: hd.EscalatedAt != nil,
			ActionURL: "/holds/" + id, CanAct: u.Role.Can(payout.ActWorkHolds), CanDecide: u.Role.Can(payout.ActDecideHolds),
			Owners: userOptions(users), TaxHold: hd.Reason == payout.ReasonTax, TaxStates: taxStates, NextOwner: next[hd.Reason],
		}
		if hd.Open() {
			c.Due, c.DueLevel = dueIn(now, hd)
		} else if hd.DecidedBy != nil && hd.DecidedAt != nil {
			c.Decision = fmt.Sprintf("%s by %s, %s: %s", hd.State, *hd.DecidedBy, stamp(*hd.DecidedAt), deref(hd.DecisionNote))
		}
		if why := payout.FourEyes(u.ID, hd.Hands()); why != "" {
			c.ReleaseBlocked = upperFirst(why) + ": another compliance user releases it (four-eyes)."
		}
		for _, e := range evidence {
			if e.HoldID == hd.ID {
				c.Evidence = append(c.Evidence, views.EvidenceRow{At: stamp(e.AddedAt), By: e.AddedBy, Kind: e.Kind, Body: e.Body, URL: e.URL})
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// gateRounds groups recorded gate evaluations by the occasion that made
// them together (one transaction: one time), with their inputs as k=v.
func gateRounds(evals []store.GateEvaluation) []views.GateRound {
	var out []views.GateRound
	var last store.GateEvaluation
	for i, e := range evals {
		if i == 0 || e.Occasion != last.Occasion || e.Actor != last.Actor || !e.EvaluatedAt.Equal(last.EvaluatedAt) {
			out = append(out, views.GateRound{At: stamp(e.EvaluatedAt), Occasion: e.Occasion, Actor: e.Actor, Passed: true})
		}
		last = e
		round := &out[len(out)-1]
		var in map[string]string
		_ = json.Unmarshal(e.Inputs, &in)
		keys := make([]string, 0, len(in))
		for k := range in {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+dash(in[k]))
		}
		round.Gates = append(round.Gates, views.GateRow{Gate: string(e.Gate), Passed: e.Passed, Answer: e.Answer,
			Inputs: strings.Join(parts, " ")})
		round.Passed = round.Passed && e.Passed
	}
	for i := range out {
		r := &out[i]
		if r.Passed {
			r.Summary = fmt.Sprintf("all %d gates pass", len(r.Gates))
			if len(r.Gates) == 1 {
				r.Summary = r.Gates[0].Gate + " passes"
			}
			continue
		}
		var failed []string
		for _, g := range r.Gates {
			if !g.Passed {
				failed = append(failed, g.Gate)
			}
		}
		r.Summary = "failed: " + strings.Join(failed, ", ")
	}
	return out
}

// HoldOwners shows each hold reason's owners and SLA; admins edit them.
func (h *Handlers) HoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	reasons, err := h.Store.HoldReasons(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	users, err := h.Store.ActiveUsers(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.HoldOwners{Meta: MetaFor(r, "Hold owners", "holds"), Users: userOptions(users),
		CanEdit: u.Role.Can(payout.ActConfigureHolds), Saved: r.URL.Query().Get("saved") == "1"}
	for _, re := range reasons {
		row := views.HoldReasonRow{Reason: string(re.Reason), Label: re.Label, OwnerName: re.OwnerName, NextName: re.NextOwnerName,
			SLAHours: strconv.FormatFloat(float64(re.SLAMinutes)/60, 'f', -1, 64)}
		if re.OwnerID != nil {
			row.Owner = strconv.FormatInt(*re.OwnerID, 10)
		}
		if re.NextOwnerID != nil {
			row.Next = strconv.FormatInt(*re.NextOwnerID, 10)
		}
		if re.UpdatedBy != "" {
			row.Updated = re.UpdatedBy + ", " + stamp(re.UpdatedAt)
		}
		vm.Reasons = append(vm.Reasons, row)
	}
	Render(w, r, http.StatusOK, views.HoldOwnersPage(vm), nil)
}

// SaveHoldOwners stores the owners and SLAs an admin set, all or nothing.
func (h *Handlers) SaveHoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActConfigureHolds) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	var changes []store.HoldReasonChange
	for _, reason := range payout.Reasons {
		c := store.HoldReasonChange{Reason: reason}
		for _, f := range []struct {
			field string
			dst   **int64
		}{{"owner_", &c.OwnerID}, {"next_", &c.NextOwnerID}} {
			v := r.PostFormValue(f.field + string(reason))
			if v == "" {
				continue
			}
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				Fail(w, r, h.Log, BadRequest("Pick owners from the lists."))
				return
			}
			*f.dst = &id
		}
		hours, err := strconv.ParseFloat(r.PostFormValue("sla_"+string(reason)), 64)
		if err != nil || hours < 0.25 || hours > 24*90 || math.IsNaN(hours) {
			Fail(w, r, h.Log, BadRequest(fmt.Sprintf("The SLA of %q must be a number of hours from 0.25 to 2160.", reason)))
			return
		}
		c.SLAMinutes = int(math.Round(hours * 60))
		changes = append(changes, c)
	}
	if err := h.Store.UpdateHoldReasons(r.Context(), actorOf(u), changes); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, "/holds/owners?saved=1")
}
