package handlers

import (
	"context"
	"encoding/json"
	"fmt"
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

// casesPageSize is how many cases the queue shows a page.
const casesPageSize = 100

// ExceptionStore is what the exceptions pages read and write.
type ExceptionStore interface {
	OpenCases(ctx context.Context, f store.CaseFilter) ([]store.Case, store.QueueCounts, error)
	CountCases(ctx context.Context, now time.Time, test bool) (store.CaseCounts, error)
	CaseByID(ctx context.Context, id int64) (store.Case, error)
	CasesFor(ctx context.Context, payoutID int64) ([]store.Case, error)
	RetryLinks(ctx context.Context, p store.Payout) (string, []string, error)
	CaseKinds(ctx context.Context) ([]store.CaseKindConfig, error)
	UpdateCaseKinds(ctx context.Context, by store.Actor, changes []store.CaseKindChange,
		classes map[payout.FailureClass]*int64) error
	ClassOwners(ctx context.Context) (map[payout.FailureClass]store.ClassOwner, error)
	ResolveCase(ctx context.Context, id int64, by store.Actor, note string) (store.Case, error)
	ReassignCase(ctx context.Context, id, ownerID int64, by store.Actor, note string) (store.Case, error)
	EscalateCase(ctx context.Context, id int64, by store.Actor, note string) (store.Case, error)
	RetryFailed(ctx context.Context, caseID int64, fix payout.RetryFix, by store.Actor, note string, policy payout.Policy) (store.Case, string, error)
	CloseClearedCases(ctx context.Context) (int, error)
	RecordCaseRecheck(ctx context.Context, id int64, by store.Actor, said string, status payout.Status) error
	RoutingOf(ctx context.Context, id int64) (store.Routing, error)
}

// Exceptions lists the open exception cases, escalated and overdue first,
// filtered by kind and owner, casesPageSize a page.
func (h *Handlers) Exceptions(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	now := h.Now()
	q := r.URL.Query()
	vm := views.Exceptions{Meta: MetaFor(r, "Exceptions", "exceptions"), Kind: q.Get("kind"), Owner: q.Get("owner")}
	f := store.CaseFilter{Test: u.TestData, Now: now}
	var notes []string
	if s := q.Get("kind"); s != "" {
		k, err := payout.ParseCaseKind(s)
		if err != nil {
			Fail(w, r, h.Log, BadRequest(fmt.Sprintf("Unknown exception kind %q. Choose one from the list.", s)))
			return
		}
		f.Kind = k
	}
	if s := q.Get("class"); s != "" {
		c, err := payout.ParseFailureClass(s)
		if err != nil {
			Fail(w, r, h.Log, BadRequest(fmt.Sprintf("Unknown failure class %q. Choose one from the list.", s)))
			return
		}
		f.Class, vm.Class = c, string(c)
		notes = append(notes, "failed for "+c.Label())
	}
	for _, c := range payout.FailureClasses {
		vm.Classes = append(vm.Classes, views.Option{Value: string(c), Label: c.Label()})
	}
	page, err := pageNumber(q.Get("page"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	f.Limit, f.Offset = casesPageSize, (page-1)*casesPageSize
	owner, note, err := ownerFilter(q, u)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if f.OwnerID = owner; note != "" {
		notes = append(notes, note)
	}
	cases, total, err := h.Store.OpenCases(r.Context(), f)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	counts, err := h.Store.CountCases(r.Context(), now, u.TestData)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	kinds, err := h.Store.CaseKinds(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	users, err := h.Store.ActiveUsers(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	for _, k := range kinds {
		vm.Kinds = append(vm.Kinds, views.KindCount{Value: string(k.Kind), Label: k.Label, Open: counts.ByKind[k.Kind]})
		if k.Kind == f.Kind {
			notes = append(notes, "of kind “"+k.Label+"”")
		}
	}
	// The heading's counts are the filter's; the kinds' tabs count all.
	vm.Owners, vm.Total, vm.Overdue, vm.FilterNote = userOptions(users, payout.ActWorkExceptions), total.Open, total.Overdue, strings.Join(notes, " ")
	for _, c := range cases {
		vm.Rows = append(vm.Rows, caseRow(u, now, c))
	}
	vm.Page, vm.Pages = page, pagesOf(total.Open, casesPageSize)
	vm.PrevHref, vm.NextHref = pageLinks(page, vm.Pages, func(n int) string {
		v := url.Values{}
		for _, k := range []string{"kind", "owner", "class"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/exceptions?" + v.Encode()
	})
	Render(w, r, http.StatusOK, views.ExceptionsPage(vm), nil)
}

func caseHref(id int64) string { return "/exceptions/" + strconv.FormatInt(id, 10) }

func caseRow(u User, now time.Time, c store.Case) views.CaseRow {
	due, level := slaDue(now, c.SLADueAt, c.EscalatedAt)
	row := views.CaseRow{ID: strconv.FormatInt(c.ID, 10), Href: caseHref(c.ID), Kind: c.KindLabel, Summary: u.localStamps(c.Summary),
		Owner: c.OwnerName, StandsIn: c.OwnerStandsIn, Age: ago(now, c.OpenedAt), Due: due, DueAt: c.SLADueAt.UTC().Format(time.RFC3339),
		DueLevel: level, Escalated: c.EscalatedAt != nil, Class: classLabel(c.FailureClass), Amount: "—"}
	if c.FailureClass != "" {
		row.ClassHref = "/exceptions?class=" + url.QueryEscape(c.FailureClass)
	}
	if c.ReferenceID != nil {
		row.Ref, row.PayoutURL = *c.ReferenceID, views.PayoutPath(*c.ReferenceID, c.PayoutLive)
		row.Amount = payout.Money{Minor: *c.AmountMinor, Currency: *c.Currency}.String()
		row.Provider = *c.Provider
	}
	return row
}

func classLabel(c string) string {
	if c == "" {
		return ""
	}
	return payout.FailureClass(c).Label()
}

// Case shows one exception case: its evidence, owner and SLA, what was
// done, and the actions the user's role allows.
func (h *Handlers) Case(w http.ResponseWriter, r *http.Request) {
	vm, err := h.casePage(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.CasePage(vm), nil)
}

func (h *Handlers) casePage(r *http.Request) (views.CaseView, error) {
	u, _ := UserFrom(r.Context())
	now := h.Now()
	id, err := pathID(r)
	if err != nil {
		return views.CaseView{}, err
	}
	c, err := h.Store.CaseByID(r.Context(), id)
	if err != nil {
		return views.CaseView{}, err
	}
	vm := views.CaseView{Meta: MetaFor(r, fmt.Sprintf("Case #%d", c.ID), "exceptions"), ID: strconv.FormatInt(c.ID, 10),
		Kind: c.KindLabel, Class: classLabel(c.FailureClass), Summary: u.localStamps(c.Summary), State: c.State, Owner: c.OwnerName, StandsIn: c.OwnerStandsIn,
		Opened: u.stamp(c.OpenedAt), Escalated: c.EscalatedAt != nil, Notice: caseNotices[r.URL.Query().Get("done")],
		CanWork: c.Open() && u.Role.Can(payout.ActWorkExceptions)}
	if c.Open() {
		vm.Due, vm.DueLevel = slaDue(now, c.SLADueAt, c.EscalatedAt)
	} else if c.ClosedAt != nil {
		vm.Closed = fmt.Sprintf("%s by %s, %s: %s", c.State, deref(c.ClosedBy), u.stamp(*c.ClosedAt), deref(c.CloseNote))
	}
	vm.Evidence = evidenceKVs(u, c.Evidence)
	if c.Open() && c.Kind == payout.CaseFailed {
		vm.NextStep = payout.FailureClass(c.FailureClass).NextStep()
	}
	if c.ReferenceID != nil {
		vm.Ref, vm.PayoutURL, vm.PayoutStatus = *c.ReferenceID, views.PayoutPath(*c.ReferenceID, c.PayoutLive), string(*c.PayoutStatus)
		vm.Amount = payout.Money{Minor: *c.AmountMinor, Currency: *c.Currency}.String()
		vm.Provider = *c.Provider
		vm.CanRecheck = c.Open() && u.Role.Can(payout.ActRecheck)
	}
	if c.RetryRef != nil {
		vm.RetryRef, vm.RetryURL = *c.RetryRef, views.PayoutPath(*c.RetryRef, c.PayoutLive)
	}
	if c.Open() && c.Kind == payout.CaseFailed && payout.FailureClass(c.FailureClass).ResubmitAsNew() &&
		u.Role.Can(payout.ActRetryPayouts) && c.PayoutID != nil {
		b, err := h.Store.RoutingOf(r.Context(), *c.PayoutID)
		if err != nil {
			return vm, err
		}
		vm.CanRetry, vm.RetryName, vm.RetryAccount = true, b.Name, "XXXX"+b.AccountLast4
		vm.RetryIFSC, vm.RetryBankCode = b.IFSC, b.BankCode
	}
	if vm.CanWork {
		users, err := h.Store.ActiveUsers(r.Context())
		if err != nil {
			return vm, err
		}
		vm.Owners = userOptions(users, payout.ActWorkExceptions)
		kinds, err := h.Store.CaseKinds(r.Context())
		if err != nil {
			return vm, err
		}
		for _, k := range kinds {
			if k.Kind == c.Kind {
				vm.NextOwner = k.NextOwnerName
			}
		}
	}
	entries, err := h.Store.AuditFor(r.Context(), "exception", vm.ID)
	if err != nil {
		return vm, err
	}
	for _, e := range entries {
		vm.History = append(vm.History, auditLine(e, u))
		if e.Action == "exception.recheck" && r.URL.Query().Get("done") == "rechecked" {
			// What the Re-check just pressed learnt, from its record.
			vm.Notice = auditSentence(e) + "."
			if c.Open() {
				vm.Notice += " The case stays open while its condition lasts."
			} else {
				vm.Notice += " Its condition cleared: the case closed by itself."
			}
		}
	}
	return vm, nil
}

// evidenceKVs lays a case's evidence out as sorted key: value lines.
func evidenceKVs(u User, raw []byte) []views.KV {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]views.KV, 0, len(keys))
	for _, k := range keys {
		if v := scalar(m[k]); v != "" {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				v = u.stamp(t) // a time, in the reader's zone as every time on the page
			}
			out = append(out, views.KV{Key: strings.ReplaceAll(k, "_", " "), Value: v})
		}
	}
	return out
}

var caseNotices = map[string]string{
	"resolved":   "Case resolved.",
	"reassigned": "Case reassigned.",
	"escalated":  "Case escalated to the kind's escalation owner.",
	"rechecked":  "Asked the provider again; the case closes by itself if its condition cleared.",
	"retried": "Sent again as a new instruction, through the release gates; a changed account number or bank is held there " +
		"until compliance confirms it. Both payouts link to each other.",
}

// CaseAction performs one action on a case and returns to it.
func (h *Handlers) CaseAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := UserFrom(r.Context())
		id, err := pathID(r)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		done, err := h.caseAct(r, u, action, id)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, caseHref(id)+"?done="+done)
	}
}

func (h *Handlers) caseAct(r *http.Request, u User, action string, id int64) (string, error) {
	ctx, by := r.Context(), actorOf(u)
	if action == "recheck" {
		if !u.Role.Can(payout.ActRecheck) {
			return "", Forbidden(payout.ActRecheck)
		}
		c, err := h.Store.CaseByID(ctx, id)
		if err != nil {
			return "", err
		}
		if c.ReferenceID == nil {
			return "", BadRequest("This case is about no payout: there is nothing to ask the provider.")
		}
		res, err := h.Rechecker.Recheck(ctx, *c.ReferenceID, store.Exactly(c.PayoutLive), payout.SourceManual, u.Email)
		if err != nil {
			return "", err
		}
		if err := h.Store.RecordCaseRecheck(ctx, id, by, res.Message, res.Payout.Status); err != nil {
			// The answer is applied and is the payout's event already;
			// only the case's copy of it is missing.
			h.Log.Warn("case re-check not kept in the case's history", "case", id, "err", err)
		}
		_, err = h.Store.CloseClearedCases(ctx)
		return "rechecked", err
	}
	need := payout.ActWorkExceptions
	if action == "retry" {
		need = payout.ActRetryPayouts
	}
	if !u.Role.Can(need) {
		return "", Forbidden(need)
	}
	note, err := writtenReason(r)
	if err != nil {
		return "", err
	}
	switch action {
	case "resolve":
		_, err = h.Store.ResolveCase(ctx, id, by, note)
		return "resolved", err
	case "escalate":
		_, err = h.Store.EscalateCase(ctx, id, by, note)
		return "escalated", err
	case "reassign":
		owner, perr := strconv.ParseInt(r.PostFormValue("owner"), 10, 64)
		if perr != nil || owner <= 0 {
			return "", BadRequest("Pick the user to give the case to.")
		}
		_, err = h.Store.ReassignCase(ctx, id, owner, by, note)
		return "reassigned", err
	case "retry":
		fix := payout.RetryFix{Name: r.PostFormValue("name"), AccountNumber: r.PostFormValue("account_number"),
			IFSC: r.PostFormValue("ifsc"), BankCode: r.PostFormValue("bank_code")}
		_, _, err = h.Store.RetryFailed(ctx, id, fix, by, note, h.Policy)
		if fe, ok := err.(*store.FieldsError); ok {
			return "", BadRequest("The correction was refused: " + fe.Error() + ".")
		}
		return "retried", err
	}
	return "", store.ErrNotFound
}

// slaDue says when an SLA runs out, and how urgent that is: "bad" once
// overdue or escalated, "warn" within the hour.
func slaDue(now, due time.Time, escalated *time.Time) (string, string) {
	left := due.Sub(now)
	switch {
	case left < 0:
		return "overdue by " + ago(now, due), "bad"
	case escalated != nil:
		return "due in " + ago(due, now), "bad"
	case left < time.Hour:
		return "due in " + ago(due, now), "warn"
	}
	return "due in " + ago(due, now), ""
}
