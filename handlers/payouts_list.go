package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// FindStore is what the payouts list, its search and its export read.
type FindStore interface {
	FindPayouts(ctx context.Context, q store.PayoutQuery) (store.PayoutPage, error)
	CountPayouts(ctx context.Context, q store.PayoutQuery) (int, bool, error)
	IdentifierRefs(ctx context.Context, text string, limit int, test bool) ([]string, error)
	IdentifierRefsPrimary(ctx context.Context, text string, limit int, test bool) ([]string, error)
	EachPayoutExport(ctx context.Context, q store.PayoutQuery, fn func(row []sql.RawBytes) error) error
}

const listPageSize = 50

// Payouts is GET /payouts: every payout, newest first, filtered by the
// query string, 50 a page. A search (q alone) that names exactly one payout
// by an identifier goes straight to it.
func (h *Handlers) Payouts(w http.ResponseWriter, r *http.Request) {
	f, bad := parsePayoutFilter(r.URL.Query(), h.Days.BusinessZone(), h.Now(), h.StuckAfter)
	f.query.Test = testData(r.Context())
	vm := h.listView(r, f, bad)
	if bad != nil {
		Render(w, r, http.StatusUnprocessableEntity, views.PayoutsPage(vm), nil)
		return
	}
	ctx := r.Context()
	if f.searchOnly() {
		if ref, ok, err := h.onlyByIdentifier(ctx, f.query.Search.Text); err != nil {
			Fail(w, r, h.Log, err)
			return
		} else if ok {
			// The search is of the switch's mode: its payout's page.
			http.Redirect(w, r, views.PayoutPath(ref, !testData(ctx)), http.StatusSeeOther)
			return
		}
	}
	f.query.Limit = listPageSize
	page, err := h.Store.FindPayouts(ctx, f.query)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	n, exact := page.Total, true
	if !page.TotalKnown {
		if n, exact, err = h.Store.CountPayouts(ctx, f.query); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	vm.Count = fmt.Sprintf("%s payout%s", grouped(n), plural(n))
	if !exact {
		vm.Count = "about " + vm.Count
	}
	now := h.Now()
	u, _ := UserFrom(ctx)
	for _, p := range page.Payouts {
		vm.Rows = append(vm.Rows, views.PayoutListRow{Ref: p.ReferenceID, Href: views.PayoutPath(p.ReferenceID, p.Livemode),
			Created: u.stamp(p.CreatedAt), Provider: p.Provider, Amount: p.Amount().String(), Beneficiary: beneficiary(p),
			Status: string(p.Status), UTR: dash(p.UTR), Updated: agoPtr(now, &p.UpdatedAt)})
	}
	if page.Next != nil {
		vm.NextHref = f.href("/payouts", "after", page.Next.String())
	}
	if f.query.After != nil {
		vm.FirstHref = f.href("/payouts")
	}
	if len(vm.Rows) == 0 && payout.IsTestProvider(f.query.Provider) && !f.query.Test {
		// The drill report links its payouts by provider: they are test
		// payouts, listed only in the test view.
		vm.OtherMode = fmt.Sprintf("The %s provider's payouts are test payouts: press Test in the header to see them.",
			f.query.Provider)
	}
	if len(vm.Rows) == 0 && f.query.Search.Text != "" {
		if err := h.emptySearchHints(ctx, &vm, f.query.Search.Text, f.query.Test); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	Render(w, r, http.StatusOK, views.PayoutsPage(vm), nil)
}

// emptySearchHints says, for a search that found nothing, where else the
// payout may be: in the other mode (a test payout searched for among live
// ones: identifiers are looked up in the mode shown), or in webhook history
// that was archived (an event id from then is not looked up).
func (h *Handlers) emptySearchHints(ctx context.Context, vm *views.PayoutList, text string, test bool) error {
	refs, err := h.Store.IdentifierRefs(ctx, text, 1, !test)
	if err != nil {
		return err
	}
	if len(refs) == 1 {
		mode, switchTo := "test", "press Test in the header to see test payouts"
		if test {
			mode, switchTo = "live", "leave test data (Test in the header) to see it"
		}
		vm.OtherMode = fmt.Sprintf("It names a %s payout, %s: %s.", mode, refs[0], switchTo)
	}
	vm.Archived, err = h.archivedDeliveries(ctx)
	return err
}

// archivedDeliveries says, when webhook deliveries were archived, before
// which month an event id is not searched: "" when none were.
func (h *Handlers) archivedDeliveries(ctx context.Context) (string, error) {
	archives, err := h.Store.ArchivesSince(ctx, time.Time{})
	if err != nil {
		return "", err
	}
	var last time.Time
	for _, a := range archives {
		if a.Table == "webhook_deliveries" && a.Month.After(last) {
			last = a.Month
		}
	}
	if last.IsZero() {
		return "", nil
	}
	return fmt.Sprintf("Webhook deliveries before %s are archived (payops archive list): an event id from then is "+
		"not searched here; payops archive restore FILE loads a month into a side table to query.", last.AddDate(0, 1, 0).Format("January 2006")), nil
}

// onlyByIdentifier returns the reference of the one payout whose reference,
// provider payout id, UTR or webhook event id is text, if exactly one is.
func (h *Handlers) onlyByIdentifier(ctx context.Context, text string) (string, bool, error) {
	refs, err := h.Store.IdentifierRefs(ctx, text, 2, testData(ctx))
	if err != nil || len(refs) != 1 {
		return "", false, err
	}
	return refs[0], true, nil
}

// filtered reports whether the list's address narrows or reorders it: the
// form sends its empty fields and the default order too, and the pages
// after the first their position, none of which is a filter.
func filtered(v url.Values) bool {
	for k, vs := range v {
		for _, s := range vs {
			if s != "" && k != "after" && (k != "sort" || s != "created") {
				return true
			}
		}
	}
	return false
}

// listView is the list's page without its rows: the filters as given.
func (h *Handlers) listView(r *http.Request, f payoutFilter, bad map[string]string) views.PayoutList {
	v := f.values
	vm := views.PayoutList{Meta: MetaFor(r, "Payouts", "payouts"), Query: v.Get("q"), Market: v.Get("market"),
		CreatedFrom: v.Get("created_from"), CreatedTo: v.Get("created_to"), UpdatedFrom: v.Get("updated_from"),
		UpdatedTo: v.Get("updated_to"), SentFrom: v.Get("sent_from"), SentTo: v.Get("sent_to"), AmountMin: v.Get("amount_min"), AmountMax: v.Get("amount_max"),
		OpenHold: v.Get("hold") == "open", Stuck: v.Get("stuck") != "", StuckAfter: span(h.StuckAfter), Errors: bad,
		DatesZone: h.Days.BusinessZone().String(),
		Filtered:  filtered(v), CSVHref: f.href("/payouts.csv"), ClearHref: "/payouts", Count: "—"}
	on := map[string]bool{}
	for _, s := range v["status"] {
		on[strings.ToUpper(s)] = true
	}
	for _, s := range listStatuses {
		vm.Statuses = append(vm.Statuses, views.Choice{Value: string(s), Label: string(s), On: on[string(s)]})
	}
	for _, p := range payoutProviders() {
		vm.Providers = append(vm.Providers, views.Choice{Value: p, Label: p, On: v.Get("provider") == p})
	}
	for _, c := range payout.Currencies() {
		vm.Currencies = append(vm.Currencies, views.Choice{Value: c, Label: c, On: strings.EqualFold(v.Get("currency"), c)})
	}
	sortBy := v.Get("sort")
	for _, s := range []views.Choice{{Value: "created", Label: "Newest first"}, {Value: "updated", Label: "Last changed"},
		{Value: "amount", Label: "Largest amount"}} {
		s.On = sortBy == s.Value
		vm.Sorts = append(vm.Sorts, s)
	}
	return vm
}

// PayoutsCSV is GET /payouts.csv: the list's payouts under the same
// filters, every one, streamed from the database with the fields finance
// traces a payout by. Cells a spreadsheet would read as a formula are
// prefixed with '; a stream cut short ends with an ERROR row.
func (h *Handlers) PayoutsCSV(w http.ResponseWriter, r *http.Request) {
	f, bad := parsePayoutFilter(r.URL.Query(), h.Days.BusinessZone(), h.Now(), h.StuckAfter)
	f.query.Test = testData(r.Context())
	if bad != nil {
		var msgs []string
		for k, m := range bad {
			msgs = append(msgs, k+": "+m)
		}
		Fail(w, r, h.Log, BadRequest("The export's filters are wrong: "+strings.Join(msgs, "; ")+"."))
		return
	}
	done, ok := h.exportSlot(w, r)
	if !ok {
		return
	}
	defer done()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	// A test view's export says so in its name: its rows are test payouts
	// (the file has no mode column), never to be mistaken for live ones.
	prefix := "payouts"
	if f.query.Test {
		prefix = "payouts-test"
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, prefix,
		h.Now().In(h.Days.BusinessZone()).Format("2006-01-02T1504")))
	cw := newCSVWriter(w)
	cw.row(store.PayoutExportColumns)
	err := h.Store.EachPayoutExport(r.Context(), f.query, func(row []sql.RawBytes) error {
		return cw.rawRow(row)
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		h.Log.Error("export payouts", "err", err)
		cw.row([]string{"ERROR", "the export stopped early: this file is incomplete; download it again"})
	}
	cw.flush()
}

// grouped writes n with thousands separators: 1,234,567.
func grouped(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
