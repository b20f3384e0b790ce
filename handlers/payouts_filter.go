package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
)

// payoutFilterParams are the query parameters of /payouts and
// /payouts.csv; anything else is refused, so a typo is not silently
// ignored.
var payoutFilterParams = []string{"q", "status", "provider", "currency", "market", "created_from", "created_to",
	"updated_from", "updated_to", "sent_from", "sent_to", "amount_min", "amount_max", "hold", "stuck", "sort", "after"}

// listStatuses are the states a list filters on, in the order they show.
var listStatuses = []payout.Status{payout.Held, payout.Queued, payout.Processing, payout.Succeeded, payout.Failed,
	payout.Cancelled, payout.Reversed}

// payoutFilter is a payouts list's filters as the query string gave them
// (for the form and the links) and as a store query.
type payoutFilter struct {
	values url.Values // the parameters as given, less empty ones and the cursor
	query  store.PayoutQuery
}

// searchOnly says whether the list asks for a search alone: q, and no
// filter beyond the list's default order (the list's own form always sends
// sort=created). Such a search naming one payout by an identifier goes
// straight to it.
func (f payoutFilter) searchOnly() bool {
	for k, vs := range f.values {
		switch {
		case k == "q":
		case k == "sort" && len(vs) == 1 && store.PayoutSort(vs[0]) == store.SortCreated:
		default:
			return false
		}
	}
	return f.values.Get("q") != "" && f.query.After == nil
}

// parsePayoutFilter reads the filters of a payouts list from v; dates are
// business days in loc, inclusive. It returns a message per bad parameter.
func parsePayoutFilter(v url.Values, loc *time.Location, now time.Time, stuckAfter time.Duration) (payoutFilter, map[string]string) {
	f := payoutFilter{values: url.Values{}}
	bad := map[string]string{}
	for k, vs := range v {
		if !slices.Contains(payoutFilterParams, k) {
			bad[k] = "is not a filter of this list"
			continue
		}
		for _, s := range vs {
			if s = strings.TrimSpace(s); s != "" && k != "after" {
				f.values.Add(k, s)
			}
		}
	}
	q := &f.query
	q.Search = payout.ParseSearch(f.values.Get("q"))
	for _, s := range f.values["status"] {
		st := payout.Status(strings.ToUpper(s))
		if !slices.Contains(listStatuses, st) {
			bad["status"] = fmt.Sprintf("%q is not a payout state", s)
			continue
		}
		q.Statuses = append(q.Statuses, st)
	}
	q.Provider = f.values.Get("provider")
	if q.Provider != "" && !slices.Contains(payoutProviders(), q.Provider) {
		bad["provider"] = "choose a provider from the list"
	}
	q.Currency = strings.ToUpper(f.values.Get("currency"))
	if _, err := payout.Exponent(q.Currency); q.Currency != "" && err != nil {
		bad["currency"] = "choose a currency from the list"
	}
	q.Market = strings.ToUpper(f.values.Get("market"))
	if q.Market != "" && (len(q.Market) != 2 || strings.Trim(q.Market, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		bad["market"] = "a two-letter country code such as IN"
	}
	for _, d := range []struct {
		from, to string
		lo, hi   *time.Time
	}{{"created_from", "created_to", &q.CreatedFrom, &q.CreatedTo}, {"updated_from", "updated_to", &q.UpdatedFrom, &q.UpdatedTo},
		{"sent_from", "sent_to", &q.SentFrom, &q.SentTo}} {
		*d.lo = dayStart(f.values.Get(d.from), loc, 0, d.from, bad)
		*d.hi = dayStart(f.values.Get(d.to), loc, 1, d.to, bad)
		if !d.lo.IsZero() && !d.hi.IsZero() && !d.lo.Before(*d.hi) {
			bad[d.to] = "must not be before the date it starts from"
		}
	}
	if lo, hi := f.values.Get("amount_min"), f.values.Get("amount_max"); lo != "" || hi != "" {
		bounds, ok := payout.MinorBounds(lo, hi)
		if !ok {
			// Name the bound that is wrong: each alone, then the pair.
			_, loOK := payout.MinorBounds(lo, "")
			_, hiOK := payout.MinorBounds("", hi)
			switch {
			case !loOK:
				bad["amount_min"] = "amounts are decimals such as 1250.00"
			case !hiOK:
				bad["amount_max"] = "amounts are decimals such as 1250.00"
			default:
				bad["amount_max"] = "must not be less than the amount it starts from"
			}
		}
		q.Amounts = bounds
	}
	switch h := f.values.Get("hold"); h {
	case "":
	case "open":
		q.OpenHold = true
	default:
		bad["hold"] = "hold=open lists the payouts with an open hold; leave it out for every payout"
	}
	switch st := f.values.Get("stuck"); st {
	case "":
	case "1":
		q.StuckBefore = now.Add(-stuckAfter)
	default:
		bad["stuck"] = "stuck=1 lists the stuck payouts; leave it out for every payout"
	}
	switch s := store.PayoutSort(f.values.Get("sort")); s {
	case "", store.SortCreated, store.SortUpdated, store.SortAmount:
		q.Sort = s
	default:
		bad["sort"] = "sort by created, updated or amount"
	}
	if s := strings.TrimSpace(v.Get("after")); s != "" {
		c, err := store.ParseCursor(s, q.Sort)
		if err != nil {
			bad["after"] = "this page link is broken: start from the first page"
		}
		q.After = &c
	}
	if len(bad) > 0 {
		return f, bad
	}
	return f, nil
}

// dayStart returns the start of the business day s (YYYY-MM-DD) in loc,
// plus days; zero for "". A bad date is noted in bad under name.
func dayStart(s string, loc *time.Location, days int, name string, bad map[string]string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil || d.Year() < 2000 || d.Year() > 2999 {
		bad[name] = "a date such as 2026-12-01"
		return time.Time{}
	}
	return d.AddDate(0, 0, days)
}

// href is the list's address with the filters and the parameters in set
// ("" removes one).
func (f payoutFilter) href(path string, set ...string) string {
	v := url.Values{}
	for k, vs := range f.values {
		v[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
