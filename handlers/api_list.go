package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
)

// The pages of GET /api/v1/payouts: limit's default and largest value.
const (
	defaultListLimit = 100
	maxListLimit     = 500
)

// listParams are the parameters of GET /api/v1/payouts; any other is refused.
var listParams = []string{"status", "provider", "created_after", "created_before", "updated_after", "limit", "cursor",
	"provider_payout_id", "utr"}

// apiList is a page of GET /api/v1/payouts: payouts as GET
// /api/v1/payouts/{ref} answers them, and where the next page starts.
type apiList struct {
	Data       []apiPayout `json:"data"`
	NextCursor string      `json:"next_cursor,omitempty"` // absent on the last page
}

// ListPayouts answers a page of the token's scope's payouts, newest first,
// selected by the query's parameters; 422 naming each bad or unknown
// parameter, 400 for a query string that does not parse.
func (a *API) ListPayouts(w http.ResponseWriter, r *http.Request) {
	if !a.forScope(w, r, payout.Scope.SendsPayouts, "read payouts (use a live or test token)") {
		return
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request",
			Message: "the query string does not parse: " + payout.Echo(err.Error())})
		return
	}
	q, fields := listQuery(values, tokenOf(r).Scope)
	if fields != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request",
			Message: "the list has invalid parameters", Fields: fields})
		return
	}
	page, err := a.Store.FindPayouts(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	data, err := a.apiPayouts(r.Context(), page.Payouts)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := apiList{Data: data}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	writeJSON(w, http.StatusOK, out)
}

// listQuery reads the list's parameters into a query of the scope's
// payouts, newest first, or returns a message per bad parameter.
func listQuery(values url.Values, scope payout.Scope) (store.PayoutQuery, payout.FieldErrors) {
	q := store.PayoutQuery{Sort: store.SortCreated, Limit: defaultListLimit, Metadata: true, Primary: true,
		Providers: scope.Providers(payoutProviders())}
	in := listInput{values: values, errs: payout.FieldErrors{}}
	for name := range values {
		if !slices.Contains(listParams, name) {
			in.errs[payout.Echo(name)] = "is not a parameter of this list: use " + strings.Join(listParams, ", ")
		}
	}
	if vs, ok := values["status"]; ok {
		statuses, msg := parseStatuses(vs)
		if msg != "" {
			in.errs["status"] = msg
		}
		q.Statuses = statuses
	}
	if v, ok := in.one("provider"); ok {
		switch {
		case !slices.Contains(payoutProviders(), v):
			in.errs["provider"] = fmt.Sprintf("unknown provider %s: use one of %s", strconv.Quote(payout.Echo(v)),
				strings.Join(q.Providers, ", "))
		case !scope.Covers(v):
			in.errs["provider"] = fmt.Sprintf("this is a %s token: it lists only the payouts of %s", scope,
				strings.Join(q.Providers, ", "))
		default:
			q.Provider = v
		}
	}
	in.times(&q)
	in.page(&q)
	q.ProviderPayoutID, _ = in.one("provider_payout_id")
	q.UTR, _ = in.one("utr")
	if len(in.errs) > 0 {
		return store.PayoutQuery{}, in.errs
	}
	return q, nil
}

// listInput is the list's query string being read, with a message per
// bad parameter so far.
type listInput struct {
	values url.Values
	errs   payout.FieldErrors
}

// one returns the parameter's value when it has one and that is text; a
// parameter given twice is refused, as one of the two would be ignored.
func (in listInput) one(name string) (string, bool) {
	vs := in.values[name]
	switch {
	case len(vs) == 0:
	case len(vs) > 1:
		in.errs[name] = "is given more than once"
	case !payout.IsText(vs[0]):
		in.errs[name] = "contains bytes that are not text (invalid UTF-8 or NUL)"
	case vs[0] == "":
		in.errs[name] = "is empty: leave it out to select any"
	default:
		return vs[0], true
	}
	return "", false
}

// times reads created_after, created_before and updated_after into q.
func (in listInput) times(q *store.PayoutQuery) {
	for _, t := range []struct {
		name string
		at   *time.Time
	}{{"created_after", &q.CreatedFrom}, {"created_before", &q.CreatedTo}, {"updated_after", &q.UpdatedFrom}} {
		if v, ok := in.one(t.name); ok {
			at, msg := parseListTime(v)
			if msg != "" {
				in.errs[t.name] = msg
			}
			*t.at = at
		}
	}
	if !q.CreatedFrom.IsZero() && !q.CreatedTo.IsZero() && !q.CreatedTo.After(q.CreatedFrom) {
		in.errs["created_before"] = "must be later than created_after"
	}
}

// page reads limit and cursor into q.
func (in listInput) page(q *store.PayoutQuery) {
	if v, ok := in.one("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			in.errs["limit"] = fmt.Sprintf("must be a whole number from 1 to %d", maxListLimit)
		}
		q.Limit = n
	}
	if v, ok := in.one("cursor"); ok {
		c, err := store.ParseCursor(v, store.SortCreated)
		if err != nil {
			in.errs["cursor"] = "is not a next_cursor of this list: send the one the previous page gave, unchanged"
		}
		q.After = &c
	}
}

// payoutProviders is every provider a payout may name: those payops
// speaks to and the drill provider.
func payoutProviders() []string {
	return append(slices.Clone(payout.Providers), payout.DrillProvider)
}

// parseStatuses reads statuses given comma-separated, repeated or both, in
// any case; the message names the first that is not one.
func parseStatuses(values []string) ([]payout.Status, string) {
	var out []payout.Status
	for _, v := range values {
		if !payout.IsText(v) {
			return nil, "contains bytes that are not text (invalid UTF-8 or NUL)"
		}
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				return nil, "has an empty status: leave status out to select any"
			}
			st, err := payout.ParseStatus(strings.ToUpper(s))
			if err != nil {
				names := make([]string, len(payout.Statuses))
				for i, st := range payout.Statuses {
					names[i] = string(st)
				}
				return nil, fmt.Sprintf("unknown status %s: use %s", strconv.Quote(payout.Echo(s)), strings.Join(names, ", "))
			}
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out, ""
}

// listTimeFloor is the earliest time the list's parameters take: before
// any payout, and far from Go's zero time.
var listTimeFloor = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// parseListTime reads an RFC 3339 time, or says what it should be.
func parseListTime(v string) (time.Time, string) {
	at, err := time.Parse(time.RFC3339Nano, v)
	// The instant, in UTC: an offset RFC 3339 allows (up to 23:59) may be
	// one PostgreSQL refuses (past 15:59).
	at = at.UTC()
	if err == nil && at.Before(listTimeFloor) {
		// Go's zero time is the query's "not given": an earlier time would
		// select as if the parameter were left out.
		return time.Time{}, "must be " + listTimeFloor.Format(time.RFC3339) + " or later"
	}
	if err == nil {
		// PostgreSQL keeps microseconds: a payout is at or after at, or
		// before it, exactly when it is so for at rounded up to them.
		if at.Nanosecond()%1000 != 0 {
			at = at.Truncate(time.Microsecond).Add(time.Microsecond)
		}
		return at, ""
	}
	msg := "must be an RFC 3339 time such as 2025-05-01T00:00:00Z or 2025-05-01T05:30:00+05:30"
	if strings.Contains(v, " ") {
		// A + left unescaped in a query reads as a space.
		msg += " (send a + in a query as %2B)"
	}
	return time.Time{}, msg
}
