package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// ReconGrid shows business days by provider: where each day stands, when it
// last ran, and Run now for finance and admins. ?to= is the last day shown
// (14 days at a time); ?view=action shows only the days and cells that need
// finance: open differences, days to sign off, and days not reconciled that
// Run now can reconcile. Days of a provider that lists no payouts are asked
// for once, as settlement reports to upload, rather than cell by cell.
func (h *Handlers) ReconGrid(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to, err := h.gridEnd(q.Get("to"))
	view := q.Get("view")
	if err == nil && view != "" && view != "action" {
		err = BadRequest("There is no view " + strconv.Quote(view) + ": leave it out for every day, or view=action.")
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	from := to.AddDate(0, 0, -(gridDays - 1))
	runs, err := h.Store.ReconDays(r.Context(), from, to)
	var earlier []store.ReconOpenDay
	if err == nil {
		earlier, err = h.Store.OpenDaysBefore(r.Context(), "", from)
	}
	var sent map[string]bool
	if err == nil {
		sent, err = h.sentUnconfigured(r.Context(), from, to)
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	g := h.gridPage(r, from, to, view == "action")
	g.Carried = carried(earlier, true)
	h.fillGrid(&g, runs, sent, from, to)
	Render(w, r, http.StatusOK, views.ReconGridPage(g), nil)
}

// gridEnd is the last day the grid shows: to, or the latest complete
// business day when to is later or not given.
func (h *Handlers) gridEnd(to string) (time.Time, error) {
	latest := h.Days.Yesterday()
	if to == "" {
		return latest, nil
	}
	d, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return time.Time{}, BadRequest("The date " + strconv.Quote(to) + " is not a date like 2026-11-20.")
	}
	if d.After(latest) {
		return latest, nil
	}
	return d, nil
}

// gridPage is the grid's page without its days: the range, its links and
// who may run days.
func (h *Handlers) gridPage(r *http.Request, from, to time.Time, actionView bool) views.ReconGrid {
	u := userOf(r)
	g := views.ReconGrid{Meta: MetaFor(r, "Reconciliation", "recon"), CanRun: u.Role.Can(payout.ActRunRecon),
		CanUpload:  u.Role.Can(payout.ActCloseDays),
		BusinessTZ: h.Days.BusinessZone().String(), Notice: reconNotices[r.URL.Query().Get("done")],
		Range: from.Format("2 Jan") + " – " + to.Format("2 Jan 2006"), ActionView: actionView}
	link := func(end time.Time, action bool) string {
		v := url.Values{}
		if action {
			v.Set("view", "action")
		}
		if end.Before(h.Days.Yesterday()) {
			v.Set("to", end.Format(time.DateOnly))
		}
		if len(v) == 0 {
			return "/reconciliation"
		}
		return "/reconciliation?" + v.Encode()
	}
	g.PrevHref = link(from.AddDate(0, 0, -1), actionView)
	if to.Before(h.Days.Yesterday()) {
		g.NextHref = link(to.AddDate(0, 0, gridDays), actionView)
	}
	g.AllHref, g.ActionHref = link(to, false), link(to, true)
	return g
}

// sentUnconfigured returns the days from to to on which payops sent live
// payouts through a provider no longer configured here, keyed
// "provider/2006-01-02": those days are reconciled from settlement reports.
func (h *Handlers) sentUnconfigured(ctx context.Context, from, to time.Time) (map[string]bool, error) {
	var gone []string
	for _, p := range payout.Providers {
		if payout.Livemode(p) && h.Days.Feed(p) == payout.FeedGone {
			gone = append(gone, p)
		}
	}
	var days []store.BusinessDay
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		start, end := jobs.DayBounds(d, h.Days.BusinessZone())
		days = append(days, store.BusinessDay{Date: d, Start: start, End: end})
	}
	return h.Store.LiveSentDays(ctx, gone, days)
}

// dayFeed is where provider p's side of day d comes from: its feed, or a
// settlement report for a day payops sent live payouts through it since it
// stopped being configured here (sent, from sentUnconfigured).
func (h *Handlers) dayFeed(p string, d time.Time, sent map[string]bool) payout.DayFeed {
	feed := h.Days.Feed(p)
	if feed == payout.FeedGone && sent[p+"/"+d.Format(time.DateOnly)] {
		return payout.FeedReport
	}
	return feed
}

// fillGrid adds the days from to back to from, a cell per provider, and
// what they add up to; in the needs-action view only the days with a cell
// that needs finance. sent is sentUnconfigured's.
func (h *Handlers) fillGrid(g *views.ReconGrid, runs []store.ReconRun, sent map[string]bool, from, to time.Time) {
	byDay := map[string]store.ReconRun{}
	providers := map[string]bool{}
	for _, p := range h.Days.ProviderNames() {
		providers[p] = true
	}
	for key := range sent {
		providers[key[:strings.IndexByte(key, '/')]] = true // money moved through it: its days are reconciled
	}
	for _, run := range runs {
		byDay[run.Provider+"/"+run.BusinessDate.Format(time.DateOnly)] = run
		providers[run.Provider] = true // a provider no longer configured keeps its history
	}
	for p := range providers {
		g.Providers = append(g.Providers, p)
	}
	sort.Strings(g.Providers)
	uploads := map[string]*views.ReconUploadsDue{}
	now := h.Now()
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		day := views.ReconGridDay{Date: d.Format(time.DateOnly), Label: d.Format("Mon 2 Jan")}
		needs := false
		for _, p := range g.Providers {
			run, ran := byDay[p+"/"+day.Date]
			c := gridCell(p, d, run, ran, h.dayFeed(p, d, sent), g.CanRun, now)
			if g.ActionView && c.Step != string(payout.StepRun) {
				c.RunURL = "" // the day's own page runs it again; here Run now is the step
			}
			tally(g, c, run)
			if c.Step == string(payout.StepUpload) {
				if uploads[p] == nil {
					uploads[p] = &views.ReconUploadsDue{Provider: p}
				}
				uploads[p].Days = append(uploads[p].Days, views.ReconDayLink{Label: day.Label, Href: c.Href})
			}
			c.Quiet = g.ActionView && (c.Step == string(payout.StepNone) || c.Step == string(payout.StepUpload))
			needs = needs || !c.Quiet
			day.Cells = append(day.Cells, c)
		}
		if needs || !g.ActionView {
			g.Days = append(g.Days, day)
		}
	}
	for _, p := range g.Providers {
		if u := uploads[p]; u != nil {
			g.Uploads = append(g.Uploads, *u)
		}
	}
}

// gridCell is provider p's day d: where it stands (run, when ran) and what
// it needs next, with Run now where that reconciles it.
func gridCell(p string, d time.Time, run store.ReconRun, ran bool, feed payout.DayFeed, canRun bool,
	now time.Time) views.ReconCell {
	c := views.ReconCell{Provider: p, Href: dayPath(p, d), Label: "Not reconciled"}
	state := payout.DayNotReconciled
	if ran {
		state, c.Label = dayState(run)
		c.Detail = fmt.Sprintf("v%d · %s · %s", run.Version, sourceShort(run.Source), agoPtr(now, &run.RunAt))
	}
	step := payout.NextStep(state, feed)
	c.State, c.Step = string(state), string(step)
	switch {
	case step == payout.StepUpload:
		c.Label, c.Href = "No report yet", c.Href+"#upload"
	case !ran && feed == payout.FeedGone:
		// A provider no longer configured, on a day it never had: no page
		// to open (its day is not found), nothing to do.
		c.Href, c.Label = "", "—"
	case !ran && feed != payout.FeedList:
		// Nothing to run it from: no list, no report.
	case canRun && state != payout.DaySignedOff:
		c.RunURL = dayPath(p, d) + "/run"
	}
	return c
}

// tally adds a cell to the grid's tiles and its count of actions.
func tally(g *views.ReconGrid, c views.ReconCell, run store.ReconRun) {
	if c.Step != string(payout.StepNone) {
		g.Actions++
	}
	switch payout.DayState(c.State) {
	case payout.DaySignedOff:
		g.SignedOff++
	case payout.DayOpen:
		g.OpenDiffs += run.OpenDiffs
	case payout.DayTies, payout.DayResolved:
		g.ToSignOff++
	case payout.DayNotReconciled:
		if c.Step != string(payout.StepNone) {
			g.NotRun++
		}
	}
}
