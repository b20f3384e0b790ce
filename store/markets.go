package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// MarketDoc is one version of a market's launch document.
type MarketDoc struct {
	ID        int64     `db:"id"`
	Market    string    `db:"market"`
	Program   string    `db:"program"`
	Version   int       `db:"version"`
	Document  []byte    `db:"document"` // JSON, a payout.LaunchDoc
	Live      bool      `db:"live"`     // whether this version makes the market live
	ChangedBy string    `db:"changed_by"`
	Reason    string    `db:"reason"`
	CreatedAt time.Time `db:"created_at"`
}

// Doc returns the version's document.
func (m MarketDoc) Doc() (payout.LaunchDoc, error) {
	var d payout.LaunchDoc
	if err := json.Unmarshal(m.Document, &d); err != nil {
		return payout.LaunchDoc{}, fmt.Errorf("store: market document %s/%s v%d: %w", m.Market, m.Program, m.Version, err)
	}
	return d, nil
}

const marketDocColumns = `id, market, program, version, document, live, changed_by, reason, created_at`

// latestDoc returns the latest version of a market's document for program
// inside q, or ErrNotFound.
func latestDoc(ctx context.Context, q Querier, market, program string) (MarketDoc, error) {
	var m MarketDoc
	err := q.GetContext(ctx, &m, `SELECT `+marketDocColumns+` FROM market_documents
		WHERE market = $1 AND program = $2 ORDER BY version DESC LIMIT 1`, market, program)
	if err != nil {
		return MarketDoc{}, fmt.Errorf("store: market document %s/%s: %w", market, program, mapErr(err))
	}
	return m, nil
}

// marketLaunch returns what the release gates know of a payout in market
// and program: the latest document for the program, or for the market's
// default program when the program has none, decides whether it is live
// and which rules apply.
func marketLaunch(ctx context.Context, q Querier, market, program string) (payout.MarketLaunch, error) {
	m, err := launchDocOf(ctx, q, market, program)
	if errors.Is(err, ErrNotFound) {
		return payout.MarketLaunch{State: "no launch document"}, nil
	}
	if err != nil {
		return payout.MarketLaunch{}, err
	}
	doc, err := m.Doc()
	if err != nil {
		return payout.MarketLaunch{}, err
	}
	l := payout.MarketLaunch{Live: m.Live, Review: doc.Thresholds(), Doc: &doc,
		State: fmt.Sprintf("read-only by %s version %d", doc.Key(), m.Version)}
	if m.Live {
		l.State = fmt.Sprintf("live by %s version %d", doc.Key(), m.Version)
	}
	return l, nil
}

// launchDocOf returns the latest document a payout in market and program
// falls under: its program's, else the market's default program's.
func launchDocOf(ctx context.Context, q Querier, market, program string) (MarketDoc, error) {
	m, err := latestDoc(ctx, q, market, program)
	if errors.Is(err, ErrNotFound) && program != payout.DefaultProgram {
		return latestDoc(ctx, q, market, payout.DefaultProgram)
	}
	return m, err
}

// LaunchOfPayout returns what the release gates know of a payout's market
// from its launch document, for pages explaining a hold's rules.
func (s *Store) LaunchOfPayout(ctx context.Context, payoutID int64) (payout.MarketLaunch, error) {
	p, err := marketOfPayout(ctx, s.db, payoutID)
	if err != nil {
		return payout.MarketLaunch{}, err
	}
	return marketLaunch(ctx, s.db, p.Market, p.Program)
}

type payoutMarket struct {
	Market  string `db:"market"`
	Program string `db:"program"`
}

// marketOfPayout returns the market and program of payout id.
func marketOfPayout(ctx context.Context, q Querier, id int64) (payoutMarket, error) {
	var p payoutMarket
	if err := q.GetContext(ctx, &p, `SELECT market, program FROM payouts WHERE id = $1`, id); err != nil {
		return p, fmt.Errorf("store: market of payout %d: %w", id, mapErr(err))
	}
	return p, nil
}

// ownersOfPayout returns the owners the launch document a payout falls
// under names (launchDocOf); none when its market has no document.
func ownersOfPayout(ctx context.Context, q Querier, payoutID int64) (payout.Owners, error) {
	p, err := marketOfPayout(ctx, q, payoutID)
	if err != nil {
		return payout.Owners{}, err
	}
	m, err := launchDocOf(ctx, q, p.Market, p.Program)
	if errors.Is(err, ErrNotFound) {
		return payout.Owners{}, nil
	}
	if err != nil {
		return payout.Owners{}, err
	}
	doc, err := m.Doc()
	return doc.Owners, err
}

// ownMarketHold gives a market_read_only hold to its market's blocked-payout
// owner when they may work holds (ops, compliance); else it keeps the
// reason's default owner (set on /holds/owners, someone who works holds),
// and only a hold with neither goes to the first active user who may
// release it (compliance) once the market is live: never to someone who
// cannot act on it (the hold-sla job would only give it back).
func ownMarketHold(ctx context.Context, q Querier, holdID, payoutID int64) error {
	owners, err := ownersOfPayout(ctx, q, payoutID)
	if err != nil {
		return err
	}
	owner := owners.BlockedPayouts
	_, err = q.ExecContext(ctx, `UPDATE holds h SET owner_id = coalesce(
			(SELECT u.id FROM users u WHERE $2 <> '' AND lower(u.email) = lower($2) AND u.disabled_at IS NULL
				AND `+mayWorkHolds+`),
			(SELECT u.id FROM users u WHERE u.id = h.owner_id AND u.disabled_at IS NULL),
			(SELECT u.id FROM users u WHERE u.role = ANY($3) AND u.disabled_at IS NULL ORDER BY u.id LIMIT 1))
		WHERE h.id = $1`, holdID, owner, pq.Array(payout.RoleNames(payout.ActDecideHolds)))
	if err != nil {
		return fmt.Errorf("store: owner of market hold %d: %w", holdID, err)
	}
	return nil
}

// marketEvidence gathers what a market's launch checklist looks at: the
// providers its live payouts went to, the drills run against it
// that passed within payout.DrillFreshness (a drill counts for its own
// market only), and the days finance signed off for those providers.
func marketEvidence(ctx context.Context, q Querier, market string) (payout.LaunchEvidence, error) {
	var ev payout.LaunchEvidence
	if err := q.GetContext(ctx, &ev.Now, `SELECT now()`); err != nil {
		return ev, fmt.Errorf("store: evidence of %s: %w", market, err)
	}
	// Test payouts (the sandbox's, drills') move no money and are never
	// reconciled: their providers need no signed-off day.
	err := q.SelectContext(ctx, &ev.Providers, `SELECT DISTINCT provider FROM payouts WHERE market = $1 AND livemode
		ORDER BY provider`, market)
	if err != nil {
		return ev, fmt.Errorf("store: providers of %s: %w", market, err)
	}
	// The newest passed drill of each scenario: payout.Checklist decides
	// which scenarios count.
	var drills []struct {
		ID         int64     `db:"id"`
		Scenario   string    `db:"scenario"`
		FinishedAt time.Time `db:"finished_at"`
	}
	err = q.SelectContext(ctx, &drills, `SELECT DISTINCT ON (scenario) id, scenario, finished_at FROM drill_runs
		WHERE state = 'passed' AND market = $1 AND finished_at > $2 ORDER BY scenario, finished_at DESC`,
		market, ev.Now.Add(-payout.DrillFreshness))
	if err != nil {
		return ev, fmt.Errorf("store: drills for %s: %w", market, err)
	}
	for _, d := range drills {
		ev.Drills = append(ev.Drills, payout.DrillProof{RunID: d.ID, Scenario: d.Scenario, Provider: payout.DrillProvider,
			PassedAt: d.FinishedAt})
	}
	var signed []struct {
		ID          int64     `db:"id"`
		Provider    string    `db:"provider"`
		Day         time.Time `db:"business_date"`
		SignedOffAt time.Time `db:"signed_off_at"`
	}
	err = q.SelectContext(ctx, &signed, `SELECT DISTINCT ON (provider) id, provider, business_date, signed_off_at
		FROM recon_runs WHERE signed_off_at IS NOT NULL AND provider = ANY($1)
		ORDER BY provider, business_date DESC, version DESC`, textArray(ev.Providers))
	if err != nil {
		return ev, fmt.Errorf("store: sign-offs for %s: %w", market, err)
	}
	for _, r := range signed {
		ev.SignOffs = append(ev.SignOffs, payout.SignOffProof{RunID: r.ID, Provider: r.Provider, Day: r.Day,
			SignedOffAt: r.SignedOffAt})
	}
	return ev, nil
}

// MarketEvidence returns what a market's launch checklist looks at now.
func (s *Store) MarketEvidence(ctx context.Context, market string) (payout.LaunchEvidence, error) {
	return marketEvidence(ctx, s.db, market)
}

// Markets returns the latest version of every market's documents, by
// market and program.
func (s *Store) Markets(ctx context.Context) ([]MarketDoc, error) {
	var out []MarketDoc
	err := s.db.SelectContext(ctx, &out, `SELECT DISTINCT ON (market, program) `+marketDocColumns+`
		FROM market_documents ORDER BY market, program, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: markets: %w", err)
	}
	return out, nil
}

// MarketHeld counts, per market, the payouts waiting on an open
// market_read_only hold: what a market's launch would release, and markets
// that have payouts but no launch document yet.
func (s *Store) MarketHeld(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Market string `db:"market"`
		N      int    `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT p.market, count(*) AS n FROM holds h JOIN payouts p ON p.id = h.payout_id
		WHERE h.state = 'open' AND h.reason = $1 GROUP BY p.market`, string(payout.ReasonMarket))
	if err != nil {
		return nil, fmt.Errorf("store: payouts held per market: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Market] = r.N
	}
	return out, nil
}

// MarketHistory returns every version of a market's document for program,
// newest first; none for a market without one.
func (s *Store) MarketHistory(ctx context.Context, market, program string) ([]MarketDoc, error) {
	var out []MarketDoc
	err := s.db.SelectContext(ctx, &out, `SELECT `+marketDocColumns+` FROM market_documents
		WHERE market = $1 AND program = $2 ORDER BY version DESC`, market, program)
	if err != nil {
		return nil, fmt.Errorf("store: history of %s/%s: %w", market, program, err)
	}
	return out, nil
}
