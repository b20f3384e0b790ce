package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// HoldStore is what the holds pages read and write.
type HoldStore interface {
	OpenHolds(ctx context.Context, f store.HoldFilter) ([]store.Hold, store.QueueCounts, error)
	CountHolds(ctx context.Context, now time.Time, test bool) (store.QueueCounts, error)
	HoldByID(ctx context.Context, id int64) (store.Hold, error)
	HoldsFor(ctx context.Context, payoutID int64) ([]store.Hold, error)
	EvidenceFor(ctx context.Context, payoutID int64) ([]store.Evidence, error)
	ApprovalsFor(ctx context.Context, payoutID int64) ([]store.HoldApproval, error)
	LaunchOfPayout(ctx context.Context, payoutID int64) (payout.MarketLaunch, error)
	ReleaseHoldInBulk(ctx context.Context, holdID int64, by store.Actor, note string, policy payout.Policy,
		shown store.Shown) (store.Released, error)
	ReleaseHold(ctx context.Context, holdID int64, by store.Actor, note string, policy payout.Policy,
		shown store.Shown) (store.Released, error)
	RejectHold(ctx context.Context, holdID int64, by store.Actor, note string, shown store.Shown) (store.Hold, error)
	ReassignHold(ctx context.Context, holdID, ownerID int64, by store.Actor, note string) (store.Hold, error)
	EscalateHold(ctx context.Context, holdID int64, by store.Actor, note string) (store.Hold, error)
	AddEvidence(ctx context.Context, holdID int64, by store.Actor, note, url string, tax payout.TaxArtifact) (store.Hold, error)
	HoldReasons(ctx context.Context) ([]store.HoldReason, error)
	UpdateHoldReasons(ctx context.Context, by store.Actor, changes []store.HoldReasonChange) error
	ActiveUsers(ctx context.Context) ([]store.User, error)
	WaitingDeciders(ctx context.Context) ([]store.User, error)
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

// holdsPage builds the list of open holds by the query's filters (reason,
// owner, page), with what a bulk action did (results) above it; a filter
// that names nothing is ErrBadRequest.
func (h *Handlers) holdsPage(r *http.Request, q url.Values, results []views.BulkResult) (views.Holds, error) {
	u, _ := UserFrom(r.Context())
	now := h.Now()
	filters := holdFilters(q)
	vm := views.Holds{Meta: MetaFor(r, "Holds", "holds"), Reason: q.Get("reason"), Owner: q.Get("owner"),
		CanAct: u.Role.Can(payout.ActWorkHolds), CanDecide: u.Role.Can(payout.ActDecideHolds), Results: results,
		Filter: filters.Encode()}
	if vm.CanDecide {
		// The people who decide see who is about to decide beside them
		// (payout.GrantWait), here where they work every day: a notice an
		// admin could switch off is not all they have.
		waiting, err := h.Store.WaitingDeciders(r.Context())
		if err != nil {
			return vm, err
		}
		for _, w := range waiting {
			if w.ID != u.ID {
				vm.NewDeciders = append(vm.NewDeciders, fmt.Sprintf("%s (%s) decides as %s from %s", w.Name, w.Email,
					w.Role, u.stamp(*w.DecidesFrom)))
			}
		}
	}
	if vm.CanDecide && u.waiting(now) != "" {
		// Deciding in bulk waits too; the page says until when.
		vm.CanDecide, vm.Waiting = false, u.waiting(now)
	}
	f, notes, err := parseHoldFilter(q, u, now)
	if err != nil {
		return vm, err
	}
	vm.Page = f.Offset/holdsPageSize + 1
	f.Test = u.TestData
	// The heading's counts are the filter's: "Mine 2 · 1 overdue".
	holds, counts, err := h.Store.OpenHolds(r.Context(), f)
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
	vm.Owners = userOptions(users, payout.ActWorkHolds)
	vm.Total, vm.Overdue, vm.FilterNote = counts.Open, counts.Overdue, strings.Join(notes, " ")
	vm.Pages = pagesOf(counts.Open, holdsPageSize)
	for _, hd := range holds {
		vm.Rows = append(vm.Rows, holdRow(now, hd))
	}
	vm.PrevHref, vm.NextHref = pageLinks(vm.Page, vm.Pages, func(n int) string {
		v := holdFilters(q)
		v.Set("page", strconv.Itoa(n))
		return "/holds?" + v.Encode()
	})
	return vm, nil
}

// holdFilters returns the query's filters (reason and owner) without its
// page: what links to other pages and a bulk action keep.
func holdFilters(q url.Values) url.Values {
	v := url.Values{}
	for _, k := range []string{"reason", "owner"} {
		if q.Get(k) != "" {
			v.Set(k, q.Get(k))
		}
	}
	return v
}

// parseHoldFilter reads the list's filters and page from the query for
// user u, with what they show in words ("owned by you"); ErrBadRequest for
// a reason, owner or page that names nothing.
func parseHoldFilter(q url.Values, u User, now time.Time) (store.HoldFilter, []string, error) {
	f := store.HoldFilter{Now: now, Limit: holdsPageSize}
	var notes []string
	if s := q.Get("reason"); s != "" {
		reason, err := payout.ParseReason(s)
		if err != nil {
			return f, nil, BadRequest(fmt.Sprintf("Unknown hold reason %q. Choose one from the list.", s))
		}
		f.Reason = reason
	}
	owner, note, err := ownerFilter(q, u)
	if err != nil {
		return f, nil, err
	}
	if f.OwnerID = owner; note != "" {
		notes = append(notes, note)
	}
	n, err := pageNumber(q.Get("page"))
	if err != nil {
		return f, nil, err
	}
	f.Offset = (n - 1) * holdsPageSize
	return f, notes, nil
}

// holdRow is an open hold as the list shows it.
func holdRow(now time.Time, hd store.Hold) views.HoldRow {
	id := strconv.FormatInt(hd.ID, 10)
	due, level := dueIn(now, hd)
	return views.HoldRow{
		ID: id, Ref: hd.ReferenceID, Href: views.PayoutPath(hd.ReferenceID, hd.Livemode) + "#hold-" + id,
		Reason: hd.ReasonLabel, Detail: hd.Detail, Owner: hd.OwnerName, Age: ago(now, hd.PlacedAt),
		Due: due, DueAt: hd.SLADueAt.UTC().Format(time.RFC3339), DueLevel: level, Escalated: hd.EscalatedAt != nil,
		Amount: hd.Amount().String(), Beneficiary: hd.BeneficiaryName, Account: "XXXX" + hd.AccountLast4,
		Seen:      shownOf(hd.LastEvidenceID, len(hd.ApproverIDs)),
		Approvals: len(hd.ApproverIDs),
	}
}

// userOptions lists the users whose role may take action (own the work it
// is: holds, cases), for an owner picker.
func userOptions(users []store.User, action payout.Action) []views.Option {
	out := make([]views.Option, 0, len(users))
	for _, u := range users {
		if u.Role.Can(action) {
			out = append(out, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name + " (" + string(u.Role) + ")"})
		}
	}
	return out
}

// dueIn says when an open hold's SLA runs out, and how urgent that is:
// "bad" once overdue or escalated, "warn" within the hour.
func dueIn(now time.Time, h store.Hold) (string, string) {
	return slaDue(now, h.SLADueAt, h.EscalatedAt)
}

// ownerFilter reads a queue's owner filter, as the holds and exceptions
// queues share it: "" anyone (0), "mine" u, "none" unassigned (-1), or a
// user's id; with what it shows in words. ErrBadRequest for anything else.
func ownerFilter(q url.Values, u User) (int64, string, error) {
	switch owner := q.Get("owner"); owner {
	case "":
		return 0, "", nil
	case "mine":
		return u.ID, "owned by you", nil
	case "none":
		return -1, "without an owner", nil
	default:
		id, err := strconv.ParseInt(owner, 10, 64)
		if err != nil || id <= 0 {
			return 0, "", BadRequest("The owner must be picked from the list.")
		}
		return id, "of that owner", nil
	}
}
