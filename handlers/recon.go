package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// ReconStore is what the reconciliation pages read and write.
type ReconStore interface {
	ReconDays(ctx context.Context, from, to time.Time) ([]store.ReconRun, error)
	ReconVersions(ctx context.Context, provider string, date time.Time) ([]store.ReconRun, error)
	ReconTotals(ctx context.Context, runID int64) ([]store.ReconTotal, error)
	ReconDiffs(ctx context.Context, runID int64, f store.ReconDiffFilter) ([]store.ReconDiff, error)
	EachReconDiff(ctx context.Context, runID int64, f store.ReconDiffFilter, fn func(store.ReconDiff) error) error
	ReconDiffCounts(ctx context.Context, runID int64) ([]store.ReconKindCount, error)
	ReconDiffByID(ctx context.Context, id int64) (store.ReconDiff, error)
	ReconRunByID(ctx context.Context, id int64) (store.ReconRun, error)
	ResolveDiff(ctx context.Context, diffID int64, by store.Actor, note string, accept bool) (store.ReconDiff, error)
	SignOff(ctx context.Context, runID int64, by store.Actor) (store.ReconRun, error)
}

// DayReconciler reconciles a provider's business day on demand: jobs.DayEnd.
type DayReconciler interface {
	ProviderNames() []string
	Yesterday() time.Time
	BusinessZone() *time.Location
	RunDay(ctx context.Context, provider string, date time.Time, by string) (store.ReconRun, error)
	UploadDay(ctx context.Context, provider string, date time.Time, by string, records []payout.ProviderRecord) (store.ReconRun, error)
}

const (
	gridDays      = 14
	diffsPerPage  = 100
	maxReportSize = 256 << 20 // a settlement report of a million rows is about 100 MB
	maxReportRows = 2_000_000
)

// diffKinds are the kinds of difference, in the order finance reads them.
var diffKinds = []struct{ kind, label string }{
	{"missing_at_provider", "Missing at provider"},
	{"missing_in_payops", "Missing in payops"},
	{"amount_mismatch", "Amount"},
	{"currency_mismatch", "Currency"},
	{"status_mismatch", "Status"},
	{"fee_mismatch", "Fee"},
}

func kindLabel(kind string) string {
	for _, k := range diffKinds {
		if k.kind == kind {
			return k.label
		}
	}
	return kind
}

var reconNotices = map[string]string{
	"ran":      "Reconciled: this is the new version.",
	"uploaded": "Settlement report imported and reconciled: this is the new version.",
	"resolved": "The difference is closed with your note.",
	"signed":   "Signed off. This version is now read-only.",
}

// dayPath is a provider's business day's page.
func dayPath(provider string, date time.Time) string {
	return "/reconciliation/" + url.PathEscape(provider) + "/" + date.Format(time.DateOnly)
}

// reconState says where a reconciled day stands, for the grid and the day
// page: signed off, open differences, ties, or every difference closed.
func reconState(run store.ReconRun) (state, label string) {
	switch {
	case run.SignedOffBy != nil:
		return "signed", "Signed off"
	case run.OpenDiffs == 1:
		return "open", "1 open difference"
	case run.OpenDiffs > 0:
		return "open", fmt.Sprintf("%d open differences", run.OpenDiffs)
	case run.Ties:
		return "ties", "Ties · to sign off"
	default:
		return "ready", "Resolved · to sign off"
	}
}

// ReconGrid shows business days by provider: where each day stands, when it
// last ran, and Run now for finance and admins.
func (h *Handlers) ReconGrid(w http.ResponseWriter, r *http.Request) {
	latest := h.Days.Yesterday()
	to := latest
	if s := r.URL.Query().Get("to"); s != "" {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			Fail(w, r, h.Log, BadRequest("The date "+strconv.Quote(s)+" is not a date like 2026-11-20."))
			return
		}
		if d.Before(latest) {
			to = d
		}
	}
	from := to.AddDate(0, 0, -(gridDays - 1))
	runs, err := h.Store.ReconDays(r.Context(), from, to)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	now := h.Now()
	g := views.ReconGrid{Meta: MetaFor(r, "Reconciliation", "recon"), CanRun: u.Role.Can(payout.ActRunRecon),
		BusinessTZ: h.Days.BusinessZone().String(), Notice: reconNotices[r.URL.Query().Get("done")],
		Range:    from.Format("2 Jan") + " – " + to.Format("2 Jan 2006"),
		PrevHref: "/reconciliation?to=" + from.AddDate(0, 0, -1).Format(time.DateOnly)}
	if to.Before(latest) {
		g.NextHref = "/reconciliation?to=" + to.AddDate(0, 0, gridDays).Format(time.DateOnly)
	}
	byDay := map[string]store.ReconRun{}
	providers := map[string]bool{}
	for _, p := range h.Days.ProviderNames() {
		providers[p] = true
	}
	for _, run := range runs {
		byDay[run.Provider+"/"+run.BusinessDate.Format(time.DateOnly)] = run
		providers[run.Provider] = true // a provider no longer configured keeps its history
	}
	for p := range providers {
		g.Providers = append(g.Providers, p)
	}
	sort.Strings(g.Providers)
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		day := views.ReconGridDay{Date: d.Format(time.DateOnly), Label: d.Format("Mon 2 Jan")}
		for _, p := range g.Providers {
			c := views.ReconCell{Provider: p, Href: dayPath(p, d), RunURL: dayPath(p, d) + "/run", State: "none", Label: "Not reconciled"}
			if run, ok := byDay[p+"/"+day.Date]; ok {
				c.State, c.Label = reconState(run)
				c.Detail = fmt.Sprintf("v%d · %s · %s", run.Version, run.Source, agoPtr(now, &run.RunAt))
				switch c.State {
				case "signed":
					g.SignedOff++
				case "open":
					g.OpenDiffs += run.OpenDiffs
				default:
					g.ToSignOff++
				}
			} else {
				g.NotRun++
			}
			day.Cells = append(day.Cells, c)
		}
		g.Days = append(g.Days, day)
	}
	Render(w, r, http.StatusOK, views.ReconGridPage(g), nil)
}

// reconDayRoute is a day's route: its provider and business date, and the day's
// versions, the latest first (none when never reconciled).
type reconDayRoute struct {
	provider string
	date     time.Time
	versions []store.ReconRun
}

// dayRoute reads a day's route. A date that is not over yet in the business
// time zone cannot be reconciled; a provider neither configured nor ever
// reconciled is not found.
func (h *Handlers) dayRoute(r *http.Request) (reconDayRoute, error) {
	d := reconDayRoute{provider: r.PathValue("provider")}
	var err error
	d.date, err = time.Parse(time.DateOnly, r.PathValue("date"))
	if err != nil {
		return d, BadRequest("The date " + strconv.Quote(r.PathValue("date")) + " is not a date like 2026-11-20.")
	}
	if d.date.After(h.Days.Yesterday()) {
		return d, BadRequest(fmt.Sprintf("%s is not over yet in %s: reconcile days that are complete.",
			d.date.Format(time.DateOnly), h.Days.BusinessZone()))
	}
	if d.versions, err = h.Store.ReconVersions(r.Context(), d.provider, d.date); err != nil {
		return d, err
	}
	if len(d.versions) == 0 && !slices.Contains(h.Days.ProviderNames(), d.provider) {
		return d, store.ErrNotFound
	}
	return d, nil
}

// ReconDayPage shows one version of a provider's day (the latest unless
// ?v= names another): totals, the chart, and the differences by kind.
func (h *Handlers) ReconDayPage(w http.ResponseWriter, r *http.Request) {
	route, err := h.dayRoute(r)
	var d views.ReconDay
	if err == nil {
		d, err = h.reconDay(r, route, "")
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.ReconDayPage(d), nil)
}

// reconDay builds a day's page for the request.
func (h *Handlers) reconDay(r *http.Request, route reconDayRoute, uploadError string) (views.ReconDay, error) {
	ctx := r.Context()
	provider, date, versions := route.provider, route.date, route.versions
	u, _ := UserFrom(ctx)
	q := r.URL.Query()
	base := dayPath(provider, date)
	d := views.ReconDay{Meta: MetaFor(r, "Reconciliation "+provider+" "+date.Format(time.DateOnly), "recon"),
		Provider: provider, Date: date.Format(time.DateOnly), DateLong: date.Format("Monday 2 January 2006"),
		CanRun: u.Role.Can(payout.ActRunRecon), CanUpload: u.Role.Can(payout.ActCloseDays), CanSignOff: u.Role.Can(payout.ActCloseDays),
		RunURL: base + "/run", UploadURL: base + "/upload", SignOffURL: base + "/signoff",
		Notice: reconNotices[q.Get("done")], UploadError: uploadError, Columns: strings.Join(payout.SettlementColumns, ","),
		State: "none", Headline: "Not reconciled"}
	if len(versions) == 0 {
		return d, nil
	}
	run, err := pickVersion(versions, q.Get("v"))
	if err != nil {
		return views.ReconDay{}, err
	}
	d.Ran, d.Version, d.Latest = true, run.Version, run.Version == versions[0].Version
	d.State, d.Headline = reconState(run)
	d.Source = map[string]string{"list": "the provider's list API", "upload": "an uploaded settlement report"}[run.Source]
	d.RunBy, d.RunAt = run.RunBy, stamp(run.RunAt)
	loc := h.Days.BusinessZone()
	d.Window = run.DayStart.In(loc).Format("2006-01-02 15:04 MST") + " – " + run.DayEnd.In(loc).Format("2006-01-02 15:04 MST")
	ver := "?v=" + strconv.Itoa(run.Version)
	d.TotalsCSV, d.DiffsCSV = base+"/totals.csv"+ver, base+"/diffs.csv"+ver
	day := run.DayStart.In(loc).Format("2006-01-02")
	d.PayoutsHref = "/payouts?" + url.Values{"provider": {d.Provider}, "created_from": {day}, "created_to": {day}}.Encode()
	for _, v := range versions {
		label := fmt.Sprintf("v%d · %s · %s UTC", v.Version, v.Source, v.RunAt.UTC().Format("2 Jan 15:04"))
		if v.SignedOffBy != nil {
			label += " · signed off"
		}
		d.Versions = append(d.Versions, views.ReconVersion{Version: v.Version, Label: label,
			Href: base + "?v=" + strconv.Itoa(v.Version), Current: v.Version == run.Version})
	}
	switch {
	case run.SignedOffBy != nil:
		d.SignedOff = fmt.Sprintf("Signed off by %s at %s", *run.SignedOffBy, stampPtr(run.SignedOffAt))
	case !d.Latest:
		d.SignOffBlock = "Only the latest version can be signed off."
	case run.OpenDiffs == 1:
		d.SignOffBlock = "Resolve or accept the open difference with a note to sign off."
	case run.OpenDiffs > 0:
		d.SignOffBlock = fmt.Sprintf("Resolve or accept the %d open differences, each with a note, to sign off.", run.OpenDiffs)
	}
	editable := d.Latest && run.SignedOffBy == nil
	d.ConfirmRun = versions[0].SignedOffBy != nil

	totals, err := h.Store.ReconTotals(ctx, run.ID)
	if err != nil {
		return views.ReconDay{}, err
	}
	d.Totals, d.Chart, d.ChartH = totalRows(totals)

	counts, err := h.Store.ReconDiffCounts(ctx, run.ID)
	if err != nil {
		return views.ReconDay{}, err
	}
	d.Kind = q.Get("kind")
	all := views.ReconKind{Label: "All", Href: base + ver, Active: d.Kind == ""}
	known := d.Kind == ""
	for _, k := range diffKinds {
		c := views.ReconKind{Kind: k.kind, Label: k.label, Href: base + ver + "&kind=" + k.kind, Active: d.Kind == k.kind}
		for _, n := range counts {
			if n.Kind == k.kind {
				c.Total, c.Open = n.Total, n.Open
			}
		}
		all.Total, all.Open = all.Total+c.Total, all.Open+c.Open
		known = known || c.Active
		if c.Active {
			d.DiffCount = c.Total
		}
		d.Kinds = append(d.Kinds, c)
	}
	if !known {
		return views.ReconDay{}, BadRequest("There is no kind of difference " + strconv.Quote(d.Kind) + ".")
	}
	if d.Kind == "" {
		d.DiffCount = all.Total
	}
	d.Kinds = append([]views.ReconKind{all}, d.Kinds...)
	pages := max(1, (d.DiffCount+diffsPerPage-1)/diffsPerPage)
	page := min(max(1, atoiOr(q.Get("page"), 1)), pages)
	back := url.Values{}
	if d.Kind != "" {
		back.Set("kind", d.Kind)
	}
	if page > 1 {
		back.Set("page", strconv.Itoa(page))
	}
	diffs, err := h.Store.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{Kind: d.Kind, Limit: diffsPerPage, Offset: (page - 1) * diffsPerPage})
	if err != nil {
		return views.ReconDay{}, err
	}
	for _, df := range diffs {
		row := diffRow(df, u.Role, editable)
		row.Back = back.Encode()
		d.Diffs = append(d.Diffs, row)
	}
	pageHref := func(p int) string {
		s := base + ver + "&page=" + strconv.Itoa(p)
		if d.Kind != "" {
			s += "&kind=" + d.Kind
		}
		return s
	}
	if page > 1 {
		d.PrevHref = pageHref(page - 1)
	}
	if page < pages {
		d.NextHref = pageHref(page + 1)
	}
	return d, nil
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// chartWidth is the longest bar of the totals chart, in pixels.
const chartWidth = 240

// totalRows makes the totals table and the chart: per currency, a bar for
// each side scaled to the larger of the two (currencies do not share a scale).
func totalRows(totals []store.ReconTotal) ([]views.ReconTotalRow, []views.ReconBar, int) {
	var rows []views.ReconTotalRow
	var bars []views.ReconBar
	for i, t := range totals {
		m := func(minor int64) string { return payout.Money{Minor: minor, Currency: t.Currency}.String() }
		diff := "0"
		if d := t.OursSum - t.TheirsSum; d != 0 {
			diff = m(d)
		}
		rows = append(rows, views.ReconTotalRow{Currency: t.Currency, OursCount: t.OursCount, TheirsCount: t.TheirsCount,
			OursSum: m(t.OursSum), TheirsSum: m(t.TheirsSum), Difference: diff, OursFees: m(t.OursFees),
			TheirsFees: m(t.TheirsFees), Ties: t.Ties()})
		scale := max(t.OursSum, t.TheirsSum, 1)
		width := func(v int64) int {
			v, s := max(v, 0), scale
			for s > 1<<50 { // keep v*chartWidth within int64
				v, s = v>>10, s>>10
			}
			return max(1, int(v*chartWidth/s))
		}
		bars = append(bars, views.ReconBar{Currency: t.Currency, Y: i * 44, OursW: width(t.OursSum), TheirsW: width(t.TheirsSum),
			OursLabel: m(t.OursSum), TheirsLabel: m(t.TheirsSum), Differs: t.OursSum != t.TheirsSum})
	}
	return rows, bars, len(totals)*44 + 4
}

// diffRow shows one difference: the values of its kind on each side.
func diffRow(d store.ReconDiff, role payout.Role, editable bool) views.ReconDiffRow {
	money := func(minor *int64, cur *string) string {
		if minor == nil {
			return "—"
		}
		c := ""
		if cur != nil {
			c = *cur
		}
		return payout.Money{Minor: *minor, Currency: c}.String()
	}
	str := func(s *string) string {
		if s == nil {
			return "—"
		}
		return *s
	}
	row := views.ReconDiffRow{ID: d.ID, Kind: d.Kind, KindLabel: kindLabel(d.Kind), Ref: dash(d.ReferenceID),
		ProviderID: dash(d.ProviderPayoutID), Open: d.Resolution == "open", Resolution: d.Resolution, Note: d.Note,
		ResolvedBy: str(d.ResolvedBy), ResolvedAt: stampPtr(d.ResolvedAt)}
	if d.PayoutID != nil {
		row.RefHref = "/payouts/" + url.PathEscape(d.ReferenceID)
	}
	id := "/reconciliation/diffs/" + strconv.FormatInt(d.ID, 10)
	row.RecheckURL, row.ResolveURL = id+"/recheck", id+"/resolve"
	row.CanRecheck = d.PayoutID != nil && role.Can(payout.ActRecheckDiffs) && editable
	row.CanResolve = row.Open && role.Can(payout.ActCloseDays) && editable
	switch d.Kind {
	case "amount_mismatch", "currency_mismatch":
		row.Ours, row.Theirs = money(d.OursAmountMinor, d.OursCurrency), money(d.TheirsAmountMinor, d.TheirsCurrency)
	case "status_mismatch":
		row.Ours, row.Theirs = str(d.OursStatus), str(d.TheirsStatus)
	case "fee_mismatch":
		row.Ours, row.Theirs = money(d.OursFeeMinor, d.OursCurrency), money(d.TheirsFeeMinor, d.TheirsCurrency)
	case "missing_at_provider":
		row.Ours, row.Theirs = money(d.OursAmountMinor, d.OursCurrency)+" · "+str(d.OursStatus), "no record"
	case "missing_in_payops":
		row.Ours, row.Theirs = "no payout", money(d.TheirsAmountMinor, d.TheirsCurrency)+" · "+str(d.TheirsStatus)
	}
	return row
}

// RunDay reconciles a provider's day now, for finance or an admin, and
// shows the new version.
func (h *Handlers) RunDay(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRunRecon) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	route, err := h.dayRoute(r)
	if err == nil && len(route.versions) > 0 && route.versions[0].SignedOffBy != nil && r.PostFormValue("confirm") != "signed-off" {
		err = store.Refused("%s %s is signed off: run it again from the day's page, confirming that its new version needs a new sign-off",
			route.provider, route.date.Format(time.DateOnly))
	}
	if err == nil {
		longRequest(w)
		_, err = h.Days.RunDay(r.Context(), route.provider, route.date, u.Email)
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, dayPath(route.provider, route.date)+"?done=ran")
}

// UploadReport reconciles a provider's day from the settlement report CSV
// finance uploads. A bad file is refused whole, naming the line, and the
// day stays as it was.
func (h *Handlers) UploadReport(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	route, err := h.dayRoute(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	longRequest(w)
	records, perr := readReport(w, r)
	if perr != nil {
		d, err := h.reconDay(r, route, perr.Error())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		Render(w, r, http.StatusUnprocessableEntity, views.ReconDayPage(d), nil)
		return
	}
	if _, err := h.Days.UploadDay(r.Context(), route.provider, route.date, u.Email, records); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, dayPath(route.provider, route.date)+"?done=uploaded")
}

func readReport(w http.ResponseWriter, r *http.Request) ([]payout.ProviderRecord, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReportSize)
	f, _, err := r.FormFile("report")
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("the file is larger than %d MB", maxReportSize>>20)
		}
		return nil, fmt.Errorf("choose the settlement report's CSV file to upload")
	}
	defer f.Close()
	return payout.ParseSettlement(f, maxReportRows)
}

// RecheckDiff asks the provider about the payout behind a difference,
// through the same adapter and apply function as every re-check, and shows
// the result in the difference's row.
func (h *Handlers) RecheckDiff(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRecheckDiffs) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	d, err := h.Store.ReconDiffByID(r.Context(), id)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if d.PayoutID == nil {
		Fail(w, r, h.Log, BadRequest("payops has no payout for this provider record: there is nothing to re-check."))
		return
	}
	res, err := h.Rechecker.Recheck(r.Context(), d.ReferenceID, payout.SourceManual, u.Email)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/payouts/"+url.PathEscape(d.ReferenceID), http.StatusSeeOther)
		return
	}
	editable, err := h.editable(r.Context(), d.RunID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	row := diffRow(d, u.Role, editable)
	row.Result = fmt.Sprintf("Now %s. %s", res.Payout.Status, upperFirst(res.Message))
	row.ResultClass = "outcome-" + outcomeKind(res)
	Render(w, r, http.StatusOK, views.ReconDiffRowView(row), nil)
}

// editable reports whether a version can be worked on: it is its day's
// latest and not signed off.
func (h *Handlers) editable(ctx context.Context, runID int64) (bool, error) {
	run, err := h.Store.ReconRunByID(ctx, runID)
	if err != nil {
		return false, err
	}
	versions, err := h.Store.ReconVersions(ctx, run.Provider, run.BusinessDate)
	if err != nil {
		return false, err
	}
	return run.SignedOffBy == nil && len(versions) > 0 && versions[0].ID == run.ID, nil
}

// ResolveDiff closes a difference with finance's note: resolved (explained
// and put right) or accepted (known and left as it is).
func (h *Handlers) ResolveDiff(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	note, err := writtenReason(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	as := r.PostFormValue("as")
	if as != "resolved" && as != "accepted" {
		Fail(w, r, h.Log, BadRequest("Choose Resolve or Accept."))
		return
	}
	d, err := h.Store.ResolveDiff(r.Context(), id, actorOf(u), note, as == "accepted")
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	run, err := h.Store.ReconRunByID(r.Context(), d.RunID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	back, _ := url.ParseQuery(r.PostFormValue("back"))
	keep := url.Values{"v": {strconv.Itoa(run.Version)}, "done": {"resolved"}}
	for _, k := range []string{"kind", "page"} {
		if v := back.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	redirect(w, r, fmt.Sprintf("%s?%s#diff-%d", dayPath(run.Provider, run.BusinessDate), keep.Encode(), d.ID))
}

// SignOffDay signs off the version of the day the form names, for finance.
func (h *Handlers) SignOffDay(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	route, err := h.dayRoute(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	v := r.PostFormValue("version")
	if v == "" {
		Fail(w, r, h.Log, BadRequest("Sign off names no version of the day."))
		return
	}
	run, err := pickVersion(route.versions, v)
	if err == nil {
		_, err = h.Store.SignOff(r.Context(), run.ID, actorOf(u))
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, fmt.Sprintf("%s?v=%d&done=signed", dayPath(route.provider, route.date), run.Version))
}

// ExportTotals writes a version's totals per currency as CSV.
func (h *Handlers) ExportTotals(w http.ResponseWriter, r *http.Request) {
	run, ok := h.exportRun(w, r)
	if !ok {
		return
	}
	totals, err := h.Store.ReconTotals(r.Context(), run.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	cw := startCSV(w, run, "totals")
	cw.Write([]string{"currency", "payops_count", "payops_amount", "provider_count", "provider_amount", "difference",
		"payops_fees", "provider_fees", "ties"})
	for _, t := range totals {
		m := func(minor int64) string { return payout.Money{Minor: minor, Currency: t.Currency}.Decimal() }
		cw.Write([]string{t.Currency, strconv.FormatInt(t.OursCount, 10), m(t.OursSum), strconv.FormatInt(t.TheirsCount, 10),
			m(t.TheirsSum), m(t.OursSum - t.TheirsSum), m(t.OursFees), m(t.TheirsFees), strconv.FormatBool(t.Ties())})
	}
	cw.Flush()
}

// ExportDiffs writes a version's differences as CSV, every one of them,
// streamed from the database.
func (h *Handlers) ExportDiffs(w http.ResponseWriter, r *http.Request) {
	run, ok := h.exportRun(w, r)
	if !ok {
		return
	}
	cw := startCSV(w, run, "differences")
	cw.Write([]string{"id", "kind", "reference_id", "provider_payout_id", "payops_amount", "payops_currency",
		"provider_amount", "provider_currency", "payops_status", "provider_status", "payops_fee", "provider_fee",
		"resolution", "note", "resolved_by", "resolved_at"})
	amount := func(minor *int64, cur *string) string {
		if minor == nil || cur == nil {
			return ""
		}
		return payout.Money{Minor: *minor, Currency: *cur}.Decimal()
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	err := h.Store.EachReconDiff(r.Context(), run.ID, store.ReconDiffFilter{Kind: r.URL.Query().Get("kind")}, func(d store.ReconDiff) error {
		at := ""
		if d.ResolvedAt != nil {
			at = d.ResolvedAt.UTC().Format(time.RFC3339)
		}
		cw.Write([]string{strconv.FormatInt(d.ID, 10), d.Kind, cell(d.ReferenceID), cell(d.ProviderPayoutID),
			amount(d.OursAmountMinor, d.OursCurrency), str(d.OursCurrency), amount(d.TheirsAmountMinor, d.TheirsCurrency),
			str(d.TheirsCurrency), str(d.OursStatus), str(d.TheirsStatus), amount(d.OursFeeMinor, d.OursCurrency),
			amount(d.TheirsFeeMinor, d.TheirsCurrency), d.Resolution, cell(d.Note), cell(str(d.ResolvedBy)), at})
		return cw.Error()
	})
	if err != nil {
		// The header is sent: the file ends with a row saying it is short,
		// so nobody takes it for the whole day.
		h.Log.Error("export differences", "run", run.ID, "err", err)
		cw.Write([]string{"ERROR", "the export stopped early: this file is incomplete; download it again"})
	}
	cw.Flush()
}

// cell keeps a spreadsheet from reading text someone typed as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportRun finds the version of a day an export names (?v=, else the
// latest), or answers with the error.
func (h *Handlers) exportRun(w http.ResponseWriter, r *http.Request) (store.ReconRun, bool) {
	route, err := h.dayRoute(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return store.ReconRun{}, false
	}
	run, err := pickVersion(route.versions, r.URL.Query().Get("v"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return store.ReconRun{}, false
	}
	return run, true
}

// pickVersion returns version v of a day (versions are the latest first),
// or the latest when v is "".
func pickVersion(versions []store.ReconRun, v string) (store.ReconRun, error) {
	if len(versions) == 0 {
		return store.ReconRun{}, store.ErrNotFound
	}
	if v == "" {
		return versions[0], nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > versions[0].Version {
		return store.ReconRun{}, BadRequest(fmt.Sprintf("There is no version %q of this day: versions 1 to %d.", v, versions[0].Version))
	}
	return versions[versions[0].Version-n], nil
}

func startCSV(w http.ResponseWriter, run store.ReconRun, what string) *csv.Writer {
	longRequest(w)
	name := fmt.Sprintf("payops-%s-%s-v%d-%s.csv", run.Provider, run.BusinessDate.Format(time.DateOnly), run.Version, what)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return csv.NewWriter(w)
}

// longRequest gives a request that moves a whole day (an upload, a run, an
// export) minutes rather than the server's default seconds.
func longRequest(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(10 * time.Minute)
	_ = rc.SetReadDeadline(deadline) // not every ResponseWriter supports deadlines; the defaults then apply
	_ = rc.SetWriteDeadline(deadline)
}
