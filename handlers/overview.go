package handlers

import (
	"net/http"
	"net/url"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// Overview shows stuck payouts counted by provider and age bucket, open
// holds, the last two weeks' reconciliation, payouts by state, and the last
// 7 business days' volume per currency and success rate per provider.
func (h *Handlers) Overview(w http.ResponseWriter, r *http.Request) {
	now := h.Now()
	test := testData(r.Context())
	sum, err := h.Store.StuckSummary(r.Context(), now.Add(-h.StuckAfter), now, test)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	paused, err := h.Store.StuckPausedByProvider(r.Context(), now.Add(-h.StuckAfter), test)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	counts, err := h.Store.StatusCounts(r.Context(), test)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	holds, err := h.Store.CountHolds(r.Context(), now, test)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	cases, err := h.Store.CountCases(r.Context(), now, test)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	latest := h.Days.Yesterday()
	days, err := h.Store.ReconDays(r.Context(), latest.AddDate(0, 0, -(gridDays-1)), latest)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.Overview{Meta: MetaFor(r, "Overview", "overview"), Threshold: span(h.StuckAfter),
		Buckets: store.StuckBuckets, OpenHolds: holds.Open, Overdue: holds.Overdue,
		OpenCases: cases.Open, CasesLate: cases.Overdue}
	for _, d := range days {
		if state, _ := reconState(d); state == "ties" || state == "ready" {
			vm.ToSignOff++
		}
	}
	// Every day's open differences, the grid's fortnight and the days before
	// it that the grid carries forward: the tile is not green while any wait.
	open, err := h.Store.OpenDaysBefore(r.Context(), "", latest.AddDate(0, 0, 1))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	for _, d := range open {
		vm.OpenDiffs += d.Open
	}
	stuckByProvider(&vm, sum, paused, now)
	byStatus := map[payout.Status]int{}
	for _, c := range counts {
		byStatus[c.Status] = c.Count
	}
	for _, st := range payout.Statuses {
		vm.Statuses = append(vm.Statuses, views.StatusCount{Status: string(st), Count: byStatus[st],
			Href: "/payouts?status=" + string(st)})
	}
	if err := h.trends(r.Context(), &vm, now); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	Render(w, r, http.StatusOK, views.OverviewPage(vm), nil)
}

// stuckByProvider fills the overview's stuck payouts by provider and age
// bucket, and how many of them are paused by payops (paused, per provider).
func stuckByProvider(vm *views.Overview, sum []store.StuckCount, paused []store.ProviderCount, now time.Time) {
	// sum is ordered by provider, so each provider's buckets are adjacent.
	var oldest time.Time
	for _, c := range sum {
		n := len(vm.Providers)
		if n == 0 || vm.Providers[n-1].Provider != c.Provider {
			vm.Providers = append(vm.Providers, views.ProviderStuck{Provider: c.Provider,
				Href:     "/payouts/stuck?provider=" + url.QueryEscape(c.Provider),
				ListHref: "/payouts?" + url.Values{"stuck": {"1"}, "provider": {c.Provider}}.Encode(),
				Counts:   make([]int, len(store.StuckBuckets))})
			n++
			oldest = c.Oldest
		}
		p := &vm.Providers[n-1]
		p.Counts[c.Bucket] += c.Count
		p.Total += c.Count
		vm.TotalStuck += c.Count
		if c.Oldest.Before(oldest) {
			oldest = c.Oldest
		}
		p.Oldest = ago(now, oldest)
	}
	for _, c := range paused {
		vm.StuckPaused += c.Count
		for i := range vm.Providers {
			if vm.Providers[i].Provider == c.Provider {
				vm.Providers[i].Paused = c.Count
			}
		}
	}
}
