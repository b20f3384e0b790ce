package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
	var out []searchRow
	err := selectFast(ctx, q.querier(s), &out, `
		WITH m AS MATERIALIZED (SELECT u.id, u.created_at FROM (`+matches+`) u WHERE `+mode+`),
		page AS (SELECT m.id FROM m WHERE `+cursor+` ORDER BY m.created_at DESC, m.id DESC
			LIMIT `+strconv.Itoa(limit+1)+`)
		SELECT `+columns+`, (SELECT count(*) FROM m) AS total`+payoutFrom+`WHERE p.id IN (SELECT id FROM page)
		ORDER BY p.created_at DESC, p.id DESC`, args...)
	if err != nil {
		return PayoutPage{}, fmt.Errorf("store: search payouts: %w", err)
	}
	return q.searchedPage(out, limit), nil
}

// searchIDs is a query of the ids of payouts a search finds, each reading
// its own indexed lookup: our reference, the provider's payout id, the
// UTR, a webhook's event id (ours, or RazorpayX's header), the account's
// last four digits, an amount, part of the beneficiary's name.
func searchIDs(s payout.Search, arg func(any) string) string {
	return searchParts(s, arg, "p2.id")
}

// searchParts is searchIDs selecting cols of each payout found (payouts p2):
// the id alone, or the id, creation and mode the covering indexes carry
// (searchPage). The beneficiaries a name or the last four digits match are
// an array the payouts are looked up by, not a join: whatever a plan made
// for one text (a prepared statement's) guesses of how many a name matches,
// it reads each of their payouts by its index, never every payout.
func searchParts(s payout.Search, arg func(any) string, cols string) string {
	t := "" // the text's parameter, once a part uses it
	text := func() string {
		if t == "" {
			t = arg(s.Text)
		}
		return t
	}
	// Never none: a search reading as nothing finds nothing.
	parts := []string{"SELECT " + cols + " FROM payouts p2 WHERE false"}
	if s.MayBeIdentifier() {
		ids := identifierIDs(text())
		if cols != "p2.id" {
			ids = "SELECT " + cols + " FROM payouts p2 WHERE p2.id = ANY(ARRAY(" + ids + "))"
		}
		parts[0] = ids
	}
	if s.Last4 != "" {
		last4 := text() // the text itself ("4574"), or its digits when written masked ("XXXX4574")
		if s.Last4 != s.Text {
			last4 = arg(s.Last4)
		}
		parts = append(parts, "SELECT "+cols+" FROM payouts p2 WHERE p2.beneficiary_id = ANY(ARRAY("+
			"SELECT b2.id FROM beneficiaries b2 WHERE b2.account_last4 = "+last4+"))")
	}
	// An amount in each of its currencies is a part of its own: as one
	// (currency, amount) IN list PostgreSQL ORs the lookups into a bitmap
	// and reads every match's table page (7,000 for a common round amount
	// at a million payouts), where each alone is an index-only scan of the
	// covering index.
	for _, m := range s.Amounts {
		parts = append(parts, fmt.Sprintf("SELECT %s FROM payouts p2 WHERE p2.currency = %s AND p2.amount_minor = %s::bigint",
			cols, arg(m.Currency), arg(m.Minor)))
	}
	if s.Name != "" {
		parts = append(parts, "SELECT "+cols+" FROM payouts p2 WHERE p2.beneficiary_id = ANY(ARRAY("+
			"SELECT b2.id FROM beneficiaries b2 WHERE b2.name ILIKE "+arg("%"+likeEscape(s.Name)+"%")+"))")
	}
	return strings.Join(parts, " UNION ")
}

// IdentifierRefs returns the references (up to limit) of the payouts whose
// reference, provider payout id, UTR or a webhook's event id is text: what
// decides whether a search goes straight to one payout. Live payouts, or
// test payouts when test, as in the list. It reads where the list does (the
// replica, if any).
func (s *Store) IdentifierRefs(ctx context.Context, text string, limit int, test bool) ([]string, error) {
	return identifierRefs(ctx, s.readQ(), text, limit, test)
}

// IdentifierRefsPrimary is IdentifierRefs read from the primary, for the
// payout page: a UTR or provider payout id that arrived a moment ago opens
// its payout, whatever a replica's delay.
func (s *Store) IdentifierRefsPrimary(ctx context.Context, text string, limit int, test bool) ([]string, error) {
	return identifierRefs(ctx, s.q(), text, limit, test)
}

func identifierRefs(ctx context.Context, q Querier, text string, limit int, test bool) ([]string, error) {
	if !(payout.Search{Text: text}).MayBeIdentifier() {
		return nil, nil
	}
	var refs []string
	if err := selectFast(ctx, q, &refs, identifierRefsSQL, text, limit, test); err != nil {
		return nil, fmt.Errorf("store: payouts by identifier: %w", err)
	}
	return refs, nil
}

// identifierRefsSQL is IdentifierRefs' query, prepared: looking the text up
// as each identifier took PostgreSQL several times longer to plan (six
// lookups, one across every month of webhook deliveries) than to run, on
// every search and every payout page reached by another identifier.
var identifierRefsSQL = `SELECT reference_id FROM payouts
	WHERE id = ANY(ARRAY(` + identifierIDs("$1") + `)) AND livemode <> $3 LIMIT $2`

// identifierIDs is a query of the ids of payouts whose reference, provider
// payout id, UTR, a webhook's event id (ours, or RazorpayX's header) or the
// webhook-id of an event payops sent the platform (msg_…, what a platform
// quotes to support) is the parameter t. UTRs are upper case at the banks:
// one read out over the phone and typed in lower case finds its payout
// (upper(t) keeps to the index). References are the platform's and
// "ord-1" and "ORD-1" may be two payouts, so a reference is found as typed
// and in upper and lower case: a search for "ord-1" then lists both, and
// one for "demo-00229" finds DEMO-00229.
func identifierIDs(t string) string {
	return strings.Join([]string{
		"SELECT id FROM payouts WHERE reference_id IN (" + t + ", upper(" + t + "), lower(" + t + "))",
		"SELECT id FROM payouts WHERE provider_payout_id = " + t,
		"SELECT id FROM payouts WHERE utr IN (" + t + ", upper(" + t + ")) AND utr <> ''",
		"SELECT payout_id FROM webhook_events WHERE event_id = " + t + " AND payout_id IS NOT NULL",
		"SELECT payout_id FROM webhook_deliveries WHERE headers->>'X-Razorpay-Event-Id' = " + t +
			" AND payout_id IS NOT NULL",
		"SELECT payout_id FROM outbound_events WHERE webhook_id = " + t + " AND payout_id IS NOT NULL",
	}, " UNION ")
}

// likeEscape escapes LIKE's wildcards in s, so they match themselves.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
