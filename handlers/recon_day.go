package handlers

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// reconDayRoute is a day's route: its provider and business date, and the day's
// versions, the latest first (none when never reconciled).
type reconDayRoute struct {
	provider string
	date     time.Time
	versions []store.ReconRun
}

// dayRoute reads a day's route. A date that is not over yet in the business
// time zone cannot be reconciled; a provider not configured, with no
// version of the day and no live payout sent through it that day, is not
// found.
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
		// Not configured here: its day is reconciled (from its settlement
		// report) only if payops sent live payouts through it that day.
		sent, err := h.sentUnconfigured(r.Context(), d.date, d.date)
		if err != nil {
			return d, err
		}
		if !sent[d.provider+"/"+d.date.Format(time.DateOnly)] {
			return d, store.ErrNotFound
		}
	}
	return d, nil
}

// readOnly says why the day's latest version cannot be worked on, or "":
// "" too for a day never reconciled.
func (d reconDayRoute) readOnly() string {
	if len(d.versions) == 0 {
		return ""
	}
	v := d.versions[0]
	return payout.VersionReadOnly(v.Version, v.Version, deref(v.SignedOffBy))
}

// ReconDayPage shows one version of a provider's day (the latest unless
// ?v= names another): totals, the chart, and the differences by kind.
// ?refused= names a settlement report just refused, to show why.
func (h *Handlers) ReconDayPage(w http.ResponseWriter, r *http.Request) {
	route, err := h.dayRoute(r)
	var d views.ReconDay
	if err == nil {
		d, err = h.reconDay(r, route)
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.ReconDayPage(d), nil)
}

// countedTwiceShown is how many payouts counted on two days a day's page
// names.
const countedTwiceShown = 50

// reconDay builds a day's page for the request.
func (h *Handlers) reconDay(r *http.Request, route reconDayRoute) (views.ReconDay, error) {
	ctx, u, q := r.Context(), userOf(r), r.URL.Query()
	d := h.dayPage(r, route)
	earlier, err := h.Store.OpenDaysBefore(ctx, route.provider, route.date)
	if err != nil {
		return views.ReconDay{}, err
	}
	d.Carried = carried(earlier, false)
	d.Refused = h.refusal(ctx, q.Get("refused"), u, route)
	if len(route.versions) == 0 {
		feed := h.Days.Feed(route.provider)
		d.CanUpload = u.Role.Can(payout.ActCloseDays)
		d.CanRun = d.CanRun && feed == payout.FeedList
		d.Empty = notReconciled(route.provider, feed, d.CanRun, d.CanUpload)
		return d, nil
	}
	run, err := pickVersion(route.versions, q.Get("v"))
	if err != nil {
		return views.ReconDay{}, err
	}
	h.dayVersion(&d, route, run, u)
	editable := payout.VersionReadOnly(run.Version, route.versions[0].Version, deref(run.SignedOffBy)) == ""
	d.CanUpload = u.Role.Can(payout.ActCloseDays) && editable
	totals, err := h.Store.ReconTotals(ctx, run.ID)
	if err != nil {
		return views.ReconDay{}, err
	}
	d.Totals, d.Chart, d.ChartSize = totalRows(totals)
	if err := h.dayDiffs(ctx, &d, q, run, u, editable); err != nil {
		return views.ReconDay{}, err
	}

	if d.Across, err = h.acrossDays(ctx, run, u); err != nil {
		return views.ReconDay{}, err
	}
	side := payout.ProviderSide{FromReport: run.Source == "upload", OtherDays: d.Across.SentOther}
	for _, t := range totals {
		side.Records, side.Ours = side.Records+int(t.TheirsCount), side.Ours+int(t.OursCount)
	}
	side.Ours -= d.Across.SentOther // ours counts the other days' payouts matched here
	for _, k := range d.Kinds {
		if k.Kind == "missing_in_payops" {
			side.Unmatched = k.Total
		}
	}
	d.Warning = payout.ProviderSideWarning(route.provider, side)
	twice, err := h.Store.ReconCountedTwice(ctx, run, countedTwiceShown)
	if err != nil {
		return views.ReconDay{}, err
	}
	for _, c := range twice {
		d.CountedTwice = append(d.CountedTwice, views.ReconTwice{Ref: c.ReferenceID, Href: views.PayoutPath(c.ReferenceID, true),
			Other:     fmt.Sprintf("%s v%d", c.OtherDate.Format(time.DateOnly), c.OtherVer),
			OtherHref: dayPath(route.provider, c.OtherDate) + "?v=" + strconv.Itoa(c.OtherVer)})
	}
	// A sign-off stands as made; payouts of the day that changed since (a
	// late reversal) are said, so finance knows the signed comparison no
	// longer tells the day as it is.
	changed, err := h.Store.ChangedSinceSignOff(ctx, run)
	if err != nil {
		return views.ReconDay{}, err
	}
	if len(changed) > 0 {
		d.ChangedSinceSignOff = "Payouts of the day changed since the sign-off (" + strings.Join(changed, ", ") +
			"): this signed comparison no longer tells the day as it is. Run the day again, confirming, for a new " +
			"version to sign off."
	}
	return d, nil
}

// notReconciled says what reconciles a day that never was, and who does.
func notReconciled(provider string, feed payout.DayFeed, canRun, canUpload bool) string {
	switch {
	case feed == payout.FeedList && canRun && canUpload:
		return "Press Run now to compare it with the provider's list, or upload its settlement report below."
	case feed == payout.FeedList && canRun:
		return "Press Run now to compare it with the provider's list."
	case feed == payout.FeedList:
		return "The day-end job reconciles it after 00:30 from the provider's list, or finance does."
	case feed == payout.FeedGone && canUpload:
		return provider + " is not configured here: upload its settlement report for the day below to reconcile it."
	case feed == payout.FeedGone:
		return provider + " is not configured here: finance reconciles the day by uploading its settlement report."
	case canUpload:
		return provider + " lists no payouts: upload its settlement report for the day below to reconcile it."
	}
	return provider + " lists no payouts: finance reconciles the day by uploading its settlement report."
}

// dayPage is a day's page before any version of it is read.
func (h *Handlers) dayPage(r *http.Request, route reconDayRoute) views.ReconDay {
	u := userOf(r)
	base := dayPath(route.provider, route.date)
	start, end := jobs.DayBounds(route.date, h.Days.BusinessZone())
	date := route.date.Format(time.DateOnly)
	return views.ReconDay{Meta: MetaFor(r, "Reconciliation "+route.provider+" "+date, "recon"),
		Provider: route.provider, Date: date, DateLong: route.date.Format("Monday 2 January 2006"),
		Window: window(start, end),
		CanRun: u.Role.Can(payout.ActRunRecon), CanSignOff: u.Role.Can(payout.ActCloseDays),
		RunURL: base + "/run", UploadURL: base + "/upload", SignOffURL: base + "/signoff",
		Notice: reconNotices[r.URL.Query().Get("done")], Columns: strings.Join(payout.SettlementColumns, ","),
		State: string(payout.DayNotReconciled), Headline: "Not reconciled"}
}

// refusal is the settlement report refused that ?refused= names, when it
// is this user's, for this day; nil otherwise (an old or copied link shows
// nothing, and nobody reads another's refusals through it).
func (h *Handlers) refusal(ctx context.Context, id string, u User, route reconDayRoute) *views.ReconRefusal {
	n, err := strconv.ParseInt(id, 10, 64)
	if id == "" || err != nil {
		return nil
	}
	ru, err := h.Store.RefusedUploadByID(ctx, n)
	if err != nil || ru.Actor != u.Email || ru.Provider != route.provider || !ru.Date.Equal(route.date) {
		return nil
	}
	return &views.ReconRefusal{At: u.stamp(ru.At), File: ru.File, Reason: ru.Reason}
}

// dayVersion fills in the version shown: where it stands, the version bar,
// its sign-off and its exports.
func (h *Handlers) dayVersion(d *views.ReconDay, route reconDayRoute, run store.ReconRun, u User) {
	base := dayPath(route.provider, route.date)
	state, headline := dayState(run)
	d.Ran, d.Version, d.Latest = true, run.Version, run.Version == route.versions[0].Version
	d.State, d.Headline = string(state), headline
	d.Source = map[string]string{"list": "the provider's list API", "upload": "an uploaded settlement report"}[run.Source]
	d.RunBy, d.RunAt = run.RunBy, u.stamp(run.RunAt)
	loc := h.Days.BusinessZone()
	d.Window = window(run.DayStart.In(loc), run.DayEnd.In(loc))
	ver := "?v=" + strconv.Itoa(run.Version)
	d.TotalsCSV, d.DiffsCSV, d.RecordsCSV = base+"/totals.csv"+ver, base+"/diffs.csv"+ver, base+"/records.csv"+ver
	if f := run.Report(); f != nil {
		d.Report, d.ReportSHA256 = fmt.Sprintf("%s · %s", f.Name, byteSize(f.Bytes)), f.SHA256
	}
	day := run.DayStart.In(loc).Format("2006-01-02")
	d.PayoutsHref = "/payouts?" + url.Values{"provider": {d.Provider}, "sent_from": {day}, "sent_to": {day}}.Encode()
	for _, v := range route.versions {
		label := fmt.Sprintf("v%d · %s · %s", v.Version, sourceShort(v.Source), v.RunAt.In(u.zone()).Format("2 Jan 15:04 MST"))
		if v.SignedOffBy != nil {
			label += " · signed off"
		}
		d.Versions = append(d.Versions, views.ReconVersion{Version: v.Version, Label: label,
			Href: base + "?v=" + strconv.Itoa(v.Version), Current: v.Version == run.Version})
	}
	switch {
	case run.SignedOffBy != nil:
		d.SignedOff = fmt.Sprintf("Signed off by %s at %s", *run.SignedOffBy, u.stampPtr(run.SignedOffAt))
	case !d.Latest:
		d.SignOffBlock = "Only the latest version can be signed off."
	case run.OpenDiffs == 1:
		d.SignOffBlock = "Resolve or accept the open difference with a note to sign off."
	case run.OpenDiffs > 0:
		d.SignOffBlock = fmt.Sprintf("Resolve or accept the %d open differences, each with a note, to sign off.",
			run.OpenDiffs)
	}
	d.ConfirmRun = route.versions[0].SignedOffBy != nil
}

// dayDiffs fills in the version's differences: the kinds with their counts,
// the page of them the request asks for, and the bulk bar where finance may
// close them.
func (h *Handlers) dayDiffs(ctx context.Context, d *views.ReconDay, q url.Values, run store.ReconRun, u User,
	editable bool) error {
	role := u.Role
	counts, err := h.Store.ReconDiffCounts(ctx, run.ID)
	if err != nil {
		return err
	}
	base := dayPath(d.Provider, run.BusinessDate) + "?v=" + strconv.Itoa(run.Version)
	d.Kind = q.Get("kind")
	if d.Kinds, d.DiffCount, err = kindChips(base, d.Kind, counts); err != nil {
		return err
	}
	pages := max(1, (d.DiffCount+diffsPerPage-1)/diffsPerPage)
	page := min(max(1, atoiOr(q.Get("page"), 1)), pages)
	back := url.Values{}
	if d.Kind != "" {
		back.Set("kind", d.Kind)
	}
	if page > 1 {
		back.Set("page", strconv.Itoa(page))
	}
	diffs, err := h.Store.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{Kind: d.Kind, Limit: diffsPerPage,
		Offset: (page - 1) * diffsPerPage})
	if err != nil {
		return err
	}
	pick := bulkOffered(role, editable, run.OpenDiffs)
	for _, df := range diffs {
		row := diffRow(df, u, editable)
		row.Back, row.PickColumn = back.Encode(), pick
		d.Diffs = append(d.Diffs, row)
		d.Bulk.Offered = d.Bulk.Offered || row.Selectable
	}
	d.Bulk.URL = dayPath(d.Provider, run.BusinessDate) + "/resolve"
	d.Bulk.Version, d.Bulk.Back = run.Version, back.Encode()
	pageHref := func(p int) string {
		s := base + "&page=" + strconv.Itoa(p)
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
	return nil
}

// bulkOffered reports whether a version's differences table has the bulk
// bar's checkboxes: finance, on a version to work on, with one open.
func bulkOffered(role payout.Role, editable bool, openDiffs int) bool {
	return role.Can(payout.ActCloseDays) && editable && openDiffs > 0
}

// kindChips makes the filter chips, All first, and counts the differences
// the filter shows; an unknown kind is a bad request.
func kindChips(base, kind string, counts []store.ReconKindCount) ([]views.ReconKind, int, error) {
	all := views.ReconKind{Label: "All", Href: base, Active: kind == ""}
	kinds := []views.ReconKind{}
	shown := 0
	for _, k := range diffKinds {
		c := views.ReconKind{Kind: k.kind, Label: k.label, Href: base + "&kind=" + k.kind, Active: kind == k.kind}
		for _, n := range counts {
			if n.Kind == k.kind {
				c.Total, c.Open = n.Total, n.Open
			}
		}
		all.Total, all.Open = all.Total+c.Total, all.Open+c.Open
		if c.Active {
			shown = c.Total
		}
		kinds = append(kinds, c)
	}
	if kind == "" {
		return append([]views.ReconKind{all}, kinds...), all.Total, nil
	}
	if !slices.ContainsFunc(kinds, func(k views.ReconKind) bool { return k.Active }) {
		return nil, 0, BadRequest("There is no kind of difference " + strconv.Quote(kind) + ".")
	}
	return append([]views.ReconKind{all}, kinds...), shown, nil
}

// window says a business day's bounds: "2026-11-20 00:00 IST – 2026-11-21 00:00 IST".
func window(start, end time.Time) string {
	return start.Format("2006-01-02 15:04 MST") + " – " + end.Format("2006-01-02 15:04 MST")
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
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
		return store.ReconRun{}, BadRequest(fmt.Sprintf("There is no version %q of this day: versions 1 to %d.",
			v, versions[0].Version))
	}
	return versions[versions[0].Version-n], nil
}

// sourceShort says in a word or two where a version's provider side came
// from, for the version bar and the grid's cells.
func sourceShort(source string) string {
	return cmp.Or(map[string]string{"list": "from the list", "upload": "from a report"}[source], source)
}
