package handlers

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// OverviewStore is what the overview's trends read.
type OverviewStore interface {
	DailyCounts(ctx context.Context, days []time.Time, test bool) ([]store.DayCount, error)
}

// trendDays is how many business days the overview's trends cover, today
// the last of them.
const trendDays = 7

// Sizes of the trends' inline SVG bar charts, in pixels.
const (
	sparkBar = 12
	sparkGap = 4
	sparkH   = 32
)

// trends fills the overview's volume per currency and success rate per
// provider, today and over the last 7 business days, from one grouped
// query; every figure links to the payouts list showing its payouts.
func (h *Handlers) trends(ctx context.Context, vm *views.Overview, now time.Time) error {
	loc := h.Days.BusinessZone()
	y, m, d := now.In(loc).Date()
	bounds := make([]time.Time, trendDays+1)
	for i := range bounds {
		bounds[i] = time.Date(y, m, d-trendDays+1+i, 0, 0, 0, 0, loc)
	}
	counts, err := h.Store.DailyCounts(ctx, bounds, testData(ctx))
	if err != nil {
		return err
	}
	days := make([]string, trendDays)
	for i := range days {
		days[i] = bounds[i].Format("2006-01-02")
		vm.Days = append(vm.Days, bounds[i].Format("Mon 2 Jan"))
	}
	vm.Zone = loc.String()
	vm.Volumes = volumes(counts, days, vm.Days)
	vm.Rates = rates(counts, days, vm.Days)
	return nil
}

// listHref is the payouts list of payouts created from day to day (business
// days, inclusive) with the filters f.
func listHref(f url.Values, from, to string) string {
	v := url.Values{"created_from": {from}, "created_to": {to}}
	for k, vs := range f {
		v[k] = vs
	}
	return "/payouts?" + v.Encode()
}

type dayVolume struct{ count, minor int64 }

func volumes(counts []store.DayCount, days, labels []string) []views.CurrencyVolume {
	by := map[string][]dayVolume{}
	for _, c := range counts {
		if by[c.Currency] == nil {
			by[c.Currency] = make([]dayVolume, len(days))
		}
		by[c.Currency][c.Day].count += c.Count
		by[c.Currency][c.Day].minor += c.Minor
	}
	var out []views.CurrencyVolume
	for _, cur := range sortedKeys(by) {
		daily := by[cur]
		f := url.Values{"currency": {cur}}
		last := len(days) - 1
		var week dayVolume
		for _, dv := range daily {
			week.count += dv.count
			week.minor += dv.minor
		}
		money := func(minor int64) string { return payout.Money{Minor: minor, Currency: cur}.String() }
		today, all := listHref(f, days[last], days[last]), listHref(f, days[0], days[last])
		v := views.CurrencyVolume{Currency: cur,
			TodayCount:  views.Figure{Text: thousands(daily[last].count), Href: today},
			TodayAmount: views.Figure{Text: money(daily[last].minor), Href: today},
			WeekCount:   views.Figure{Text: thousands(week.count), Href: all},
			WeekAmount:  views.Figure{Text: money(week.minor), Href: all}}
		heights := make([]int64, len(days))
		titles := make([]string, len(days))
		hrefs := make([]string, len(days))
		for i, dv := range daily {
			heights[i] = dv.minor
			titles[i] = labels[i] + ": " + thousands(dv.count) + " payouts, " + money(dv.minor)
			hrefs[i] = listHref(f, days[i], days[i])
		}
		v.Trend = spark("Amount of "+cur+" payouts created each day", heights, nil, titles, hrefs)
		out = append(out, v)
	}
	return out
}

func rates(counts []store.DayCount, days, labels []string) []views.ProviderRate {
	by := map[string][]map[payout.Status]int64{}
	for _, c := range counts {
		if by[c.Provider] == nil {
			by[c.Provider] = make([]map[payout.Status]int64, len(days))
			for i := range days {
				by[c.Provider][i] = map[payout.Status]int64{}
			}
		}
		by[c.Provider][c.Day][c.Status] += c.Count
	}
	var out []views.ProviderRate
	for _, prov := range sortedKeys(by) {
		daily := by[prov]
		week := map[payout.Status]int64{}
		for _, day := range daily {
			for st, n := range day {
				week[st] += n
			}
		}
		last := len(days) - 1
		v := views.ProviderRate{Provider: prov,
			Today: rateFigure(prov, daily[last], days[last], days[last]), Week: rateFigure(prov, week, days[0], days[last])}
		heights := make([]int64, len(days))
		empty := make([]bool, len(days))
		titles := make([]string, len(days))
		hrefs := make([]string, len(days))
		for i, day := range daily {
			rate := payout.SuccessRate(day)
			permille, settled := rate.Permille()
			heights[i], empty[i] = permille, !settled
			titles[i] = labels[i] + ": " + rate.String() + " (" + strconv.FormatInt(rate.Succeeded, 10) + " of " +
				strconv.FormatInt(rate.Settled, 10) + " settled)"
			hrefs[i] = listHref(settledFilter(prov), days[i], days[i])
		}
		heights = append(heights, 1000) // a rate's bar is out of 100%, not out of the best day
		v.Trend = spark("Success rate of "+prov+" payouts created each day", heights, empty, titles, hrefs)
		out = append(out, v)
	}
	return out
}

func settledFilter(provider string) url.Values {
	f := url.Values{"provider": {provider}}
	for _, st := range payout.SettledOutcomes {
		f.Add("status", string(st))
	}
	return f
}

func rateFigure(provider string, byStatus map[payout.Status]int64, from, to string) views.RateFigure {
	rate := payout.SuccessRate(byStatus)
	settled := listHref(settledFilter(provider), from, to)
	return views.RateFigure{
		Rate: views.Figure{Text: rate.String(), Href: settled},
		Succeeded: views.Figure{Text: thousands(rate.Succeeded), Href: listHref(url.Values{"provider": {provider},
			"status": {string(payout.Succeeded)}}, from, to)},
		Settled: views.Figure{Text: thousands(rate.Settled), Href: settled},
	}
}

// spark draws one bar a day, its height in proportion to the largest of
// values (which may hold one more value than there are days: the scale's
// top). A day without a figure (empty, or nil empty and a zero value) is a
// dash at the baseline; any other is at least 2 pixels high.
func spark(label string, values []int64, empty []bool, titles, hrefs []string) views.Spark {
	top := float64(max(slices.Max(values), 1))
	s := views.Spark{W: len(titles)*(sparkBar+sparkGap) - sparkGap, H: sparkH, Label: label}
	for i := range titles {
		b := views.SparkBar{X: i * (sparkBar + sparkGap), W: sparkBar, Href: hrefs[i], Title: titles[i]}
		if empty != nil {
			b.Empty = empty[i]
		} else {
			b.Empty = values[i] == 0
		}
		b.H = max(int(float64(values[i])/top*(sparkH-2)), 2)
		if b.Empty {
			b.H = 1
		}
		b.Y = sparkH - b.H
		s.Bars = append(s.Bars, b)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
