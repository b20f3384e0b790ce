package store

import (
	"context"
	"fmt"
	"github.com/jmoiron/sqlx"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// PayoutSort is the order of a payouts list: newest first by when payouts
// were created or last changed, or largest amount first.
type PayoutSort string

// The orders of a payouts list.
const (
	SortCreated PayoutSort = "created"
	SortUpdated PayoutSort = "updated"
	SortAmount  PayoutSort = "amount" // minor units: exact within one currency
)

// PayoutQuery selects payouts for the payouts list, its CSV and the API.
// Zero fields select every live payout; test payouts with Test, or when
// Provider (or Providers) names a test provider.
type PayoutQuery struct {
	Search   payout.Search // any of its readings
	Statuses []payout.Status
	Provider string
	Currency string
	Market   string
	// Created, updated and sent ranges, [from, to); zero is open.
	CreatedFrom, CreatedTo time.Time
	UpdatedFrom, UpdatedTo time.Time
	SentFrom, SentTo       time.Time // a day's reconciliation takes the payouts sent that day
	// Amounts, per currency, in minor units: [min, max]; nil for any.
	Amounts     map[string][2]int64
	OpenHold    bool
	StuckBefore time.Time // non-zero: only QUEUED or PROCESSING unchanged since then
	// ProviderPayoutID and UTR look a payout up exactly (the API's).
	ProviderPayoutID string
	UTR              string
	Sort             PayoutSort
	After            *PayoutCursor // the page after this payout
	Limit            int

	noCursor bool // where() leaves the cursor out

	// Providers, when not empty, selects payouts of one of these only (an
	// API token's scope), besides Provider.
	Providers []string
	// Test lists test payouts instead of live ones, when neither Provider
	// nor Providers names the providers (which then decide it).
	Test bool
	// Metadata has FindPayouts select each payout's metadata too (the
	// API's); pages leave it out.
	Metadata bool
	// Primary reads the primary even when a read replica is configured: the
	// API's list, which must show a payout its 202 just answered for, with
	// the holds and ledger read from the primary beside it.
	Primary bool
}

// db is the database q reads: the read replica, when there is one, unless
// q asks for the primary.
func (q PayoutQuery) db(s *Store) *sqlx.DB {
	if q.Primary {
		return s.db
	}
	return s.reader()
}

// querier is db(s) as a Querier that runs prepared statements (readQ, or
// the primary's own).
func (q PayoutQuery) querier(s *Store) Querier {
	if q.Primary {
		return s.q()
	}
	return s.readQ()
}

// PayoutCursor is where a page of a payouts list ends: the last payout's
// sort key and id. Pages never skip or repeat a payout that was there when
// the first page was read: the order is a total order on values that do not
// change for created and amount, and the key is compared, not a position.
type PayoutCursor struct {
	Key int64 // unix microseconds, or the amount in minor units
	ID  int64
}

// String writes the cursor for a URL.
func (c PayoutCursor) String() string {
	return strconv.FormatInt(c.Key, 36) + "." + strconv.FormatInt(c.ID, 36)
}

// ParseCursor reads a cursor String wrote for a list in order by. A time
// key out of PostgreSQL's range is no cursor a list gave, and is refused
// here rather than failing the query.
func ParseCursor(s string, by PayoutSort) (PayoutCursor, error) {
	k, id, ok := strings.Cut(s, ".")
	key, err1 := strconv.ParseInt(k, 36, 64)
	n, err2 := strconv.ParseInt(id, 36, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return PayoutCursor{}, fmt.Errorf("not a cursor of this list")
	}
	if y := time.UnixMicro(key).Year(); by != SortAmount && (y < 1 || y > 9999) {
		return PayoutCursor{}, fmt.Errorf("not a cursor of this list")
	}
	return PayoutCursor{Key: key, ID: n}, nil
}

// sortColumn is the column a list is ordered by, and how a cursor's key
// is compared with it.
func (q PayoutQuery) sortColumn() (col, key string) {
	switch q.Sort {
	case SortUpdated:
		return "p.updated_at", microsAt
	case SortAmount:
		return "p.amount_minor", "%s::bigint"
	}
	return "p.created_at", microsAt
}

// microsAt is a cursor's unix microseconds as a timestamp, exactly (a
// double would round the last digits).
const microsAt = "(timestamptz 'epoch' + %s::bigint * interval '1 microsecond')"

// cursorOf returns the cursor after p in q's order.
func (q PayoutQuery) cursorOf(p Payout) PayoutCursor {
	switch q.Sort {
	case SortUpdated:
		return PayoutCursor{Key: p.UpdatedAt.UnixMicro(), ID: p.ID}
	case SortAmount:
		return PayoutCursor{Key: p.AmountMinor, ID: p.ID}
	}
	return PayoutCursor{Key: p.CreatedAt.UnixMicro(), ID: p.ID}
}

// where returns q's conditions on payouts p and beneficiaries b, adding
// their arguments to args.
func (q PayoutQuery) where(args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	conds := []string{"true"}
	add := func(format string, vs ...any) {
		names := make([]any, len(vs))
		for i, v := range vs {
			names[i] = arg(v)
		}
		conds = append(conds, fmt.Sprintf(format, names...))
	}
	if q.Provider != "" {
		add("p.provider = %s", q.Provider)
	}
	switch {
	case q.Provider != "" || len(q.Providers) > 0:
		// A named provider (or a token's) decides the mode by itself.
	case q.Test:
		// Written out, not an argument: the planner matches it to the test
		// payouts' partial index, and the export of every payout stays a
		// bare COPY.
		conds = append(conds, "NOT p.livemode")
	default:
		conds = append(conds, "p.livemode")
	}
	if len(q.Providers) > 0 {
		add("p.provider = ANY(%s)", pq.StringArray(q.Providers))
	}
	if len(q.Statuses) > 0 {
		ss := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ss[i] = string(s)
		}
		add("p.status = ANY(%s)", pq.StringArray(ss))
	}
	if q.Currency != "" {
		add("p.currency = %s", q.Currency)
	}
	if q.Market != "" {
		add("p.market = %s", q.Market)
	}
	for _, r := range []struct {
		cond string
		at   time.Time
	}{{"p.created_at >= %s", q.CreatedFrom}, {"p.created_at < %s", q.CreatedTo},
		{"p.updated_at >= %s", q.UpdatedFrom}, {"p.updated_at < %s", q.UpdatedTo},
		{"p.submitted_at >= %s", q.SentFrom}, {"p.submitted_at < %s", q.SentTo}} {
		if !r.at.IsZero() {
			add(r.cond, r.at)
		}
	}
	if q.Amounts != nil {
		conds = append(conds, "("+amountConds(q.Amounts, arg)+")")
	}
	if q.OpenHold {
		conds = append(conds, "EXISTS (SELECT 1 FROM holds h WHERE h.payout_id = p.id AND h.state = 'open')")
	}
	if !q.StuckBefore.IsZero() {
		add("p.status IN ('QUEUED', 'PROCESSING') AND p.updated_at < %s", q.StuckBefore)
	}
	if q.ProviderPayoutID != "" {
		add("p.provider_payout_id = %s", q.ProviderPayoutID)
	}
	if q.UTR != "" {
		add("p.utr = %s", q.UTR)
	}
	if q.Search.Text != "" {
		// An array, not IN (...): the matches are then always read by
		// primary key. The planner may guess a name matches 1% of
		// beneficiaries (a name among its histogram's bounds), and joined
		// every payout by hash for it: 2 s instead of 5 ms (make bench).
		conds = append(conds, "p.id = ANY(ARRAY("+searchIDs(q.Search, arg)+"))")
	}
	if q.After != nil && !q.noCursor {
		col, key := q.sortColumn()
		add("("+col+", p.id) < ("+key+", %s)", q.After.Key, q.After.ID)
	}
	return strings.Join(conds, " AND ")
}

// amountConds is one condition per currency, in a stable order.
func amountConds(bounds map[string][2]int64, arg func(any) string) string {
	currencies := make([]string, 0, len(bounds))
	for c := range bounds {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	var ors []string
	for _, c := range currencies {
		b := bounds[c]
		ors = append(ors, fmt.Sprintf("(p.currency = %s AND p.amount_minor BETWEEN %s AND %s)", arg(c), arg(b[0]), arg(b[1])))
	}
	if len(ors) == 0 {
		return "false"
	}
	return strings.Join(ors, " OR ")
}

// PayoutPage is one page of a payouts list.
type PayoutPage struct {
	Payouts []Payout
	Next    *PayoutCursor // nil on the last page
	// Total is how many payouts match in all, when the page knows it: a
	// search reads every match anyway, so its page counts them too.
	Total      int
	TotalKnown bool
}

// FindPayouts returns the page of q: up to q.Limit payouts in q's order,
// newest (or largest) first, after q.After.
func (s *Store) FindPayouts(ctx context.Context, q PayoutQuery) (PayoutPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var args []any
	where := q.where(&args)
	col, _ := q.sortColumn()
	args = append(args, limit+1)
	columns := payoutColumns
	if q.Metadata {
		columns += apiColumns
	}
	if q.Search.Text != "" {
		if live, ok := q.searchAlone(); ok {
			return s.searchPage(ctx, q, columns, limit, live)
		}
		return s.findSearched(ctx, q, columns, limit)
	}
	var out []Payout
	err := q.db(s).SelectContext(ctx, &out, `SELECT `+columns+payoutFrom+`WHERE `+where+
		` ORDER BY `+col+` DESC, p.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return PayoutPage{}, fmt.Errorf("store: find payouts: %w", err)
	}
	return q.page(out, limit), nil
}

// findSearched is FindPayouts for a search: every match is read to be
// sorted anyway, so one statement also counts them, before the cursor
// cuts the page (make bench: a search page was three statements, each
// planning and running the search).
func (s *Store) findSearched(ctx context.Context, q PayoutQuery, columns string, limit int) (PayoutPage, error) {
	all := q
	all.noCursor = true
	var args []any
	where := all.where(&args)
	col, key := q.sortColumn()
	col = strings.TrimPrefix(col, "p.")
	cursor := "true"
	if q.After != nil {
		args = append(args, q.After.Key, q.After.ID)
		n := len(args)
		cursor = fmt.Sprintf("(m."+col+", m.id) < ("+key+", $%d)", "$"+strconv.Itoa(n-1), n)
	}
	args = append(args, limit+1)
	var out []searchRow
	err := q.db(s).SelectContext(ctx, &out, `SELECT * FROM (SELECT `+columns+`, count(*) OVER () AS total`+payoutFrom+
		`WHERE `+where+`) m WHERE `+cursor+` ORDER BY m.`+col+` DESC, m.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return PayoutPage{}, fmt.Errorf("store: search payouts: %w", err)
	}
	return q.searchedPage(out, limit), nil
}

// searchRow is a payout a search found, with how many it found in all.
type searchRow struct {
	Payout
	Total int `db:"total"`
}

// searchedPage cuts a search's rows, read one past limit, into a page that
// knows its total: from any row, or none at all on the first page.
func (q PayoutQuery) searchedPage(out []searchRow, limit int) PayoutPage {
	rows := make([]Payout, len(out))
	for i, r := range out {
		rows[i] = r.Payout
	}
	page := q.page(rows, limit)
	if len(out) > 0 {
		page.Total, page.TotalKnown = out[0].Total, true
	} else if q.After == nil {
		page.TotalKnown = true
	}
	return page
}

// page cuts rows, read one past limit, into a page with its next cursor.
func (q PayoutQuery) page(out []Payout, limit int) PayoutPage {
	page := PayoutPage{Payouts: out}
	if len(out) > limit {
		page.Payouts = out[:limit]
		c := q.cursorOf(out[limit-1])
		page.Next = &c
	}
	return page
}
