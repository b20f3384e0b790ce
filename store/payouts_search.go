package store

import (
	"context"
	"fmt"
	"strconv"

	"payops/payout"
)

// searchAlone reports whether q is a search and nothing else: no filter
// but the mode (live, or test payouts), newest created first. live says the
// mode. Any other filter, or another order, is findSearched's.
func (q PayoutQuery) searchAlone() (live, ok bool) {
	if q.Sort != "" && q.Sort != SortCreated {
		return false, false
	}
	rest := q
	rest.Search, rest.noCursor = payout.Search{}, true
	var args []any
	switch rest.where(&args) {
	case "true AND p.livemode":
		return true, len(args) == 0
	case "true AND NOT p.livemode":
		return false, len(args) == 0
	}
	return false, false
}

// searchPage is FindPayouts for a search alone (searchAlone): the matches'
// ids, creation and mode come from the indexes that find them (covering,
// migration 00054: an index-only scan for a name, the last four digits or
// an amount), which is all counting them and choosing the page takes; only
// the page's rows are read from the table, with their beneficiaries. A
// common name matching thousands of payouts reads thousands of index
// entries, not thousands of rows twice over (findSearched).
func (s *Store) searchPage(ctx context.Context, q PayoutQuery, columns string, limit int, live bool) (PayoutPage, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	matches := searchParts(q.Search, arg, "p2.id, p2.created_at, p2.livemode")
	mode := "u.livemode"
	if !live {
		mode = "NOT u.livemode"
	}
	cursor := "true"
	if q.After != nil {
		cursor = fmt.Sprintf("(m.created_at, m.id) < ("+microsAt+", %s)", arg(q.After.Key), arg(q.After.ID))
	}
	// Prepared: a search's page took PostgreSQL as long to plan as to run.
	// Its shape depends only on which readings the text has (and the
	// cursor, the columns), a few dozen statements at most; each reading
	// is an indexed lookup whose generic plan is the custom one.
	db := s.readQ()
	if q.Primary {
		db = s.q()
	}
	var out []searchRow
	err := selectFast(ctx, db, &out, `
		WITH m AS MATERIALIZED (SELECT u.id, u.created_at FROM (`+matches+`) u WHERE `+mode+`),
		page AS (SELECT m.id FROM m WHERE `+cursor+` ORDER BY m.created_at DESC, m.id DESC LIMIT `+arg(limit+1)+`)
		SELECT `+columns+`, (SELECT count(*) FROM m) AS total`+payoutFrom+`WHERE p.id IN (SELECT id FROM page)
		ORDER BY p.created_at DESC, p.id DESC`, args...)
	if err != nil {
		return PayoutPage{}, fmt.Errorf("store: search payouts: %w", err)
	}
	return q.searchedPage(out, limit), nil
}
