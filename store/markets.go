package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// ownMarketHold gives a market_read_only hold to its market's blocked-payout
// owner; with none (or none active) it keeps the reason's default owner
// (set on /holds/owners, someone who works holds), and only a hold with
// neither goes to the first active admin, who can launch the market.
func ownMarketHold(ctx context.Context, q Querier, holdID, payoutID int64) error {
	p, err := marketOfPayout(ctx, q, payoutID)
	if err != nil {
		return err
	}
	owner := ""
	if m, err := launchDocOf(ctx, q, p.Market, p.Program); err == nil {
		doc, err := m.Doc()
		if err != nil {
			return err
		}
		owner = doc.Owners.BlockedPayouts
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE holds h SET owner_id = coalesce(
			(SELECT u.id FROM users u WHERE $2 <> '' AND lower(u.email) = lower($2) AND u.disabled_at IS NULL),
			(SELECT u.id FROM users u WHERE u.id = h.owner_id AND u.disabled_at IS NULL),
			(SELECT u.id FROM users u WHERE u.role = 'admin' AND u.disabled_at IS NULL ORDER BY u.id LIMIT 1),
			h.owner_id)
		WHERE h.id = $1`, holdID, owner)
	if err != nil {
		return fmt.Errorf("store: owner of market hold %d: %w", holdID, err)
	}
	return nil
}

// ApplyOptions are the choices of one `payops market apply`.
type ApplyOptions struct {
	// AcceptUnverified loads a complete document live even when its launch
	// checklist's evidence does not pass.
	AcceptUnverified bool
	Reason           string // why, for the history; "" says it was applied from a file
}

// DocApplied is what applying one document did.
type DocApplied struct {
	Key     string // "IN/default"
	Version int    // the latest version after applying
	Changed bool   // a new version was written
	Live    bool   // the market is live by it
	Missing []string
	Ready   int // checkpoints passed of six
}

// ApplyMarketDocs loads launch documents, all in one transaction: nothing
// is written when any is refused. Each document that differs from its
// latest version becomes a new version. It is refused, with a
// *payout.FieldError naming the field, when a field is invalid, an owner
// is no active payops user, it asks to be live while incomplete, or it asks
// to be live while its launch checklist does not pass (unless
// AcceptUnverified).
func (s *Store) ApplyMarketDocs(ctx context.Context, docs []payout.LaunchDoc, opts ApplyOptions, by Actor) ([]DocApplied, error) {
	var out []DocApplied
	// In one order, the markets' locks taken in it: two files listing the
	// same markets in other orders wait for each other, not in a circle.
	sorted := slices.SortedFunc(slices.Values(docs), func(a, b payout.LaunchDoc) int { return strings.Compare(a.Key(), b.Key()) })
	err := s.WithTx(ctx, func(q Querier) error {
		out = nil
		for _, d := range sorted {
			res, err := applyDoc(ctx, q, d, opts, by)
			if err != nil {
				return err
			}
			if res.Changed {
				if err := supersedeProposals(ctx, q, d.Market, d.Program); err != nil {
					return err
				}
			}
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// supersedeProposals marks the open proposal of a market and program
// superseded, in the transaction writing a version over what it proposed
// to change:
// approving it would be refused anyway, and until then the page showed it
// waiting, with an Approve button, and hid the propose form.
func supersedeProposals(ctx context.Context, q Querier, market, program string) error {
	_, err := q.ExecContext(ctx, `UPDATE market_proposals SET state = 'superseded', decided_at = now()
		WHERE market = $1 AND program = $2 AND state = 'open'`, market, program)
	if err != nil {
		return fmt.Errorf("store: supersede proposals of %s/%s: %w", market, program, err)
	}
	return nil
}

// lockMarketDoc serialises the writers of one market and program's
// documents (a file applied, a proposal approved, a stop) until the
// transaction ends, so each reads the version it writes over: without it an
// approval checked against version 3 could write version 5 live over a
// read-only version 4 committed in between.
func lockMarketDoc(ctx context.Context, q Querier, market, program string) error {
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('market_documents:' || $1 || '/' || $2, 0))`,
		market, program)
	if err != nil {
		return fmt.Errorf("store: lock %s/%s: %w", market, program, err)
	}
	return nil
}

func applyDoc(ctx context.Context, q Querier, d payout.LaunchDoc, opts ApplyOptions, by Actor) (DocApplied, error) {
	if err := d.Validate(); err != nil {
		return DocApplied{}, err
	}
	if err := lockMarketDoc(ctx, q, d.Market, d.Program); err != nil {
		return DocApplied{}, err
	}
	if err := d.CheckLive(); err != nil {
		return DocApplied{}, err
	}
	if err := checkOwners(ctx, q, d); err != nil {
		return DocApplied{}, err
	}
	ev, err := marketEvidence(ctx, q, d.Market)
	if err != nil {
		return DocApplied{}, err
	}
	cps := payout.Checklist(d, ev)
	res := DocApplied{Key: d.Key(), Live: d.IsLive(), Missing: d.Missing(), Ready: payout.Ready(cps)}
	if d.Live && res.Ready < len(cps) && !opts.AcceptUnverified {
		for _, c := range cps {
			if !c.Passed {
				return DocApplied{}, &payout.FieldError{Doc: d.Key(), Field: "live", Msg: fmt.Sprintf(
					"the launch checklist has %d of %d: %q is not shown (%s); give --accept-unverified-checklist "+
						"to load it live all the same", res.Ready, len(cps), c.Name, c.Evidence)}
			}
		}
	}
	var changes []payout.Change
	prev, err := latestDoc(ctx, q, d.Market, d.Program)
	switch {
	case err == nil:
		res.Version = prev.Version
		old, err := prev.Doc()
		if err != nil {
			return DocApplied{}, err
		}
		changes = payout.DiffDocs(old, d)
		if len(changes) == 0 && prev.Live == res.Live {
			return res, nil
		}
	case !errors.Is(err, ErrNotFound):
		return DocApplied{}, err
	}
	body, err := json.Marshal(d)
	if err != nil {
		return DocApplied{}, fmt.Errorf("store: market document %s: %w", d.Key(), err)
	}
	reason := opts.Reason
	if reason == "" {
		reason = "applied from a launch document file"
	}
	if d.Live && res.Ready < len(cps) {
		reason += fmt.Sprintf(" (live with %d of %d checkpoints, unverified checklist accepted)", res.Ready, len(cps))
	}
	res.Version++
	res.Changed = true
	_, err = q.ExecContext(ctx, `INSERT INTO market_documents (market, program, version, document, live, changed_by,
			changed_by_user_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.Market, d.Program, res.Version, jsonArg(body), res.Live, by.Name, by.userID(), reason)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return DocApplied{}, fmt.Errorf("store: market document %s changed meanwhile, apply again: %w", d.Key(), ErrConflict)
	}
	if err != nil {
		return DocApplied{}, fmt.Errorf("store: market document %s: %w", d.Key(), err)
	}
	return res, audit(ctx, q, by.Name, "market.apply", "market", d.Key(), map[string]any{
		"version": res.Version, "live": res.Live, "reason": reason, "changes": changes})
}

// checkOwners refuses a document naming an owner who is no active payops
// user.
func checkOwners(ctx context.Context, q Querier, d payout.LaunchDoc) error {
	for _, o := range d.Owners.List() {
		if o.Email == "" {
			continue
		}
		var n int
		err := q.GetContext(ctx, &n, `SELECT count(*) FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL`, o.Email)
		if err != nil {
			return fmt.Errorf("store: owner %s of %s: %w", o.Email, d.Key(), err)
		}
		if n == 0 {
			return &payout.FieldError{Doc: d.Key(), Field: "owners." + o.Field,
				Msg: fmt.Sprintf("no active payops user has the email %s", o.Email)}
		}
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
	var drills []struct {
		ID         int64     `db:"id"`
		FinishedAt time.Time `db:"finished_at"`
	}
	err = q.SelectContext(ctx, &drills, `SELECT id, finished_at FROM drill_runs
		WHERE state = 'passed' AND market = $1 AND finished_at > $2 ORDER BY finished_at DESC LIMIT 10`,
		market, ev.Now.Add(-payout.DrillFreshness))
	if err != nil {
		return ev, fmt.Errorf("store: drills for %s: %w", market, err)
	}
	for _, d := range drills {
		ev.Drills = append(ev.Drills, payout.DrillProof{RunID: d.ID, Provider: payout.DrillProvider, PassedAt: d.FinishedAt})
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

// SetMarketReadOnly puts a market's document back to read-only at once, a
// new version by one admin (safety needs no second pair of eyes). A market
// without a document is read-only already: ErrRefused.
func (s *Store) SetMarketReadOnly(ctx context.Context, market, program string, by Actor, reason string) (MarketDoc, error) {
	var out MarketDoc
	err := s.WithTx(ctx, func(q Querier) error {
		if err := lockMarketDoc(ctx, q, market, program); err != nil {
			return err
		}
		prev, err := latestDoc(ctx, q, market, program)
		if errors.Is(err, ErrNotFound) && program != payout.DefaultProgram {
			return Refused("%s/%s has no launch document of its own: its payouts follow %s/%s's, which is where "+
				"it goes back to read-only", market, program, market, payout.DefaultProgram)
		}
		if errors.Is(err, ErrNotFound) {
			return Refused("%s/%s has no launch document: it is read-only already", market, program)
		}
		if err != nil {
			return err
		}
		if !prev.Live {
			return Refused("%s/%s is read-only already (version %d)", market, program, prev.Version)
		}
		doc, err := prev.Doc()
		if err != nil {
			return err
		}
		doc.Live = false
		body, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("store: market document %s: %w", doc.Key(), err)
		}
		err = q.GetContext(ctx, &out, `INSERT INTO market_documents (market, program, version, document, live, changed_by,
				changed_by_user_id, reason) VALUES ($1, $2, $3, $4, false, $5, $6, $7) RETURNING `+marketDocColumns,
			market, program, prev.Version+1, jsonArg(body), by.Name, by.userID(), "put back to read-only: "+reason)
		if err != nil {
			return fmt.Errorf("store: market document %s/%s: %w", market, program, mapErr(err))
		}
		if err := supersedeProposals(ctx, q, market, program); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "market.read_only", "market", doc.Key(),
			map[string]any{"version": out.Version, "reason": reason})
	})
	return out, err
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
