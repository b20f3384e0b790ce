package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"

	"payops/payout"
)

// The writers of markets' launch documents: a file applied, a stop; each
// under the market's lock (lockMarketDoc).

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
