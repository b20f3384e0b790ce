package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/jobs"
	"payops/store"
	"payops/views"
)

// AuditStore is what the audit log page and its export read.
type AuditStore interface {
	FindAudit(ctx context.Context, q store.AuditQuery) (store.AuditPage, error)
	EachAudit(ctx context.Context, q store.AuditQuery, fn func(store.AuditEntry) error) error
	AuditActions(ctx context.Context) ([]string, error)
}

const (
	auditPageSize = 100
	maxFilterText = 200 // characters of an actor or an entity id
)

// auditKinds are the entity kinds the filter offers, with their names for
// people.
var auditKinds = []views.Option{
	{Value: string(store.AuditPayout), Label: "Payout"},
	{Value: string(store.AuditHold), Label: "Hold"},
	{Value: string(store.AuditRecon), Label: "Reconciliation day"},
	{Value: string(store.AuditException), Label: "Exception case"},
	{Value: string(store.AuditMarket), Label: "Market"},
	{Value: string(store.AuditUser), Label: "User"},
	{Value: string(store.AuditToken), Label: "API token"},
	{Value: string(store.AuditEndpoint), Label: "Webhook endpoint"},
	{Value: string(store.AuditHoldReason), Label: "Hold owners and SLA"},
	{Value: string(store.AuditCaseKind), Label: "Case owners and SLA"},
	{Value: string(store.AuditNotify), Label: "Notification settings"},
	{Value: string(store.AuditDrill), Label: "Drill"},
}

// auditFilter is the audit log's filter as the query string carries it,
// shared by the page and the CSV so a bookmark or a download selects the
// same entries.
type auditFilter struct {
	views.AuditFilter
	Before string // the page after this entry id
}

func auditFilterFrom(q url.Values) auditFilter {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return auditFilter{AuditFilter: views.AuditFilter{Actor: get("actor"), Action: get("action"), Kind: get("entity"),
		EntityID: get("entity_id"), From: get("from"), To: get("to")}, Before: get("before")}
}

// query returns the store's query for f, with dates as business days in
// loc, or what is wrong with f, one sentence a problem. actions are those
// the log holds: an action it never held is a mistake, not an empty list.
func (f auditFilter) query(loc *time.Location, actions []string) (store.AuditQuery, []string) {
	q := store.AuditQuery{Actor: f.Actor, Action: f.Action, Kind: store.AuditKind(f.Kind), EntityID: f.EntityID}
	var problems []string
	if len([]rune(f.Actor)) > maxFilterText {
		problems = append(problems, fmt.Sprintf("The actor is longer than %d characters.", maxFilterText))
	}
	if f.Action != "" && !slices.Contains(actions, f.Action) {
		problems = append(problems, fmt.Sprintf("There is no action %q in the audit log: choose one from the list.",
			clip(f.Action)))
	}
	if f.Kind != "" && !slices.Contains(store.AuditKinds, q.Kind) {
		problems = append(problems, fmt.Sprintf("There is no entity kind %q: choose one from the list.", clip(f.Kind)))
	}
	if len([]rune(f.EntityID)) > maxFilterText {
		problems = append(problems, fmt.Sprintf("The id is longer than %d characters.", maxFilterText))
	}
	from, okFrom := parseDay("From", f.From, &problems)
	to, okTo := parseDay("To", f.To, &problems)
	if okFrom && okTo && to.Before(from) {
		problems = append(problems, fmt.Sprintf("From %s is after to %s.", f.From, f.To))
	}
	if okFrom {
		q.From, _ = jobs.DayBounds(from, loc)
	}
	if okTo {
		_, q.To = jobs.DayBounds(to, loc)
	}
	if f.Before != "" {
		n, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || n < 1 {
			problems = append(problems, "Older than must be an entry number; follow the Older link again.")
		}
		q.Before = n
	}
	return q, problems
}

// parseDay reads a date of the filter; ok is false when there is none or it
// is not a date (a problem then).
func parseDay(name, s string, problems *[]string) (date time.Time, ok bool) {
	if s == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("%s %q is not a date like 2026-11-20.", name, clip(s)))
		return time.Time{}, false
	}
	return d, true
}

// clip shortens what someone typed for a message about it.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// values is f as a query string's values, without the page: empty fields
// are left out.
func (f auditFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "entity": f.Kind,
		"entity_id": f.EntityID, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// zone is the business time zone (PAYOPS_BUSINESS_TZ): the dashboard's
// dates are days there.
func (h *Handlers) zone() *time.Location {
	if h.Days == nil {
		return time.UTC
	}
	return h.Days.BusinessZone()
}

// AuditPage lists the audit log newest first, 100 entries a page, filtered
// by actor, action, entity and dates; a filter that makes no sense is 422
// with the form and what to fix.
func (h *Handlers) AuditPage(w http.ResponseWriter, r *http.Request) {
	actions, err := h.Store.AuditActions(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	f := auditFilterFrom(r.URL.Query())
	vm := views.Audit{Meta: MetaFor(r, "Audit log", "audit"), Filter: f.AuditFilter, Actions: actions,
		Kinds: auditKinds, Zone: h.zone().String(), CSVHref: "/audit.csv"}
	filters := f.values()
	vm.Filtered = len(filters) > 0
	if vm.Filtered {
		vm.CSVHref += "?" + filters.Encode()
	}
	q, problems := f.query(h.zone(), actions)
	if len(problems) > 0 {
		vm.Problems = problems
		Render(w, r, http.StatusUnprocessableEntity, views.AuditPage(vm), nil)
		return
	}
	q.Limit = auditPageSize
	page, err := h.Store.FindAudit(r.Context(), q)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	for _, e := range page.Entries {
		vm.Rows = append(vm.Rows, auditLine(e, u))
	}
	if page.Next != 0 {
		older := f.values()
		older.Set("before", strconv.FormatInt(page.Next, 10))
		vm.OlderHref = "/audit?" + older.Encode()
	}
	if q.Before != 0 {
		vm.NewestHref = "/audit"
		if vm.Filtered {
			vm.NewestHref += "?" + filters.Encode()
		}
	}
	Render(w, r, http.StatusOK, views.AuditPage(vm), nil)
}
