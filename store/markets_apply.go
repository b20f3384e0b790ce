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
	// approved says a second admin approved the document
	// (ApproveMarketProposal): it may make live again a market an admin put
	// back to read-only, which a file may not.
	approved bool
}

// acceptHow says, in a refusal of a live document whose checklist does not
// pass, how to load it all the same: the command line's flag, or the
// approval form's box.
func (o ApplyOptions) acceptHow() string {
	if o.approved {
		return "tick “Go live even if the checklist is not all shown” to approve it all the same"
	}
	return "give --accept-unverified-checklist to load it live all the same"
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
	ev, err := marketEvidence(ctx, q, d.Market)
	if err != nil {
		return DocApplied{}, err
	}
	cps := payout.Checklist(d, ev)
	res := DocApplied{Key: d.Key(), Live: d.IsLive(), Missing: d.Missing(), Ready: payout.Ready(cps)}
	// A file applied again unchanged (documents as code: every deploy)
	// writes nothing and so is checked no further: a drill grown stale or
	// an owner since disabled refuses the next change, not this.
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
		if res.Live && !prev.Live && !opts.approved {
			if err := refuseRelive(ctx, q, d); err != nil {
				return DocApplied{}, err
			}
		}
	case !errors.Is(err, ErrNotFound):
		return DocApplied{}, err
	}
	if err := checkOwners(ctx, q, d); err != nil {
		return DocApplied{}, err
	}
	if d.Live && res.Ready < len(cps) && !opts.AcceptUnverified {
		for _, c := range cps {
			if !c.Passed {
				return DocApplied{}, &payout.FieldError{Doc: d.Key(), Field: "live", Msg: fmt.Sprintf(
					"the launch checklist has %d of %d: %q is not shown (%s); %s", res.Ready, len(cps), c.Name,
					c.Evidence, opts.acceptHow())}
			}
		}
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

// stopReason starts the reason of a version put back to read-only
// (putReadOnly: an admin's stop, or the upgrade's for
// PAYOPS_READ_ONLY_MARKETS).
const stopReason = "put back to read-only: "

// UpgradeActor is who migration 00030 records as writing the documents it
// made.
const UpgradeActor = "upgrade"

// refuseRelive refuses a file that would make live again a market put back
// to read-only (stopReason) since it was last live: safety first, and going live again is the
// four-eyes proposal on the market's page. Otherwise the next deploy
// applying the same file would quietly undo an incident's stop.
func refuseRelive(ctx context.Context, q Querier, d payout.LaunchDoc) error {
	var stop MarketDoc
	err := q.GetContext(ctx, &stop, `SELECT `+marketDocColumns+` FROM market_documents
		WHERE market = $1 AND program = $2 AND starts_with(reason, $3)
		  AND version > (SELECT COALESCE(max(version), 0) FROM market_documents WHERE market = $1 AND program = $2 AND live)
		ORDER BY version DESC LIMIT 1`, d.Market, d.Program, stopReason)
	if errors.Is(err, errNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: stops of %s: %w", d.Key(), err)
	}
	return &payout.FieldError{Doc: d.Key(), Field: "live", Msg: fmt.Sprintf(
		"%s put it back to read-only on %s (version %d, %q): it goes live again only by a proposal and a second "+
			"admin's approval on /markets/%s; apply it without \"live\": true meanwhile", stop.ChangedBy,
		stop.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), stop.Version, strings.TrimPrefix(stop.Reason, stopReason),
		d.Market)}
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
		out, err = putReadOnly(ctx, q, prev, by, reason)
		return err
	})
	return out, err
}

// putReadOnly writes the version after prev, read-only, under the market's
// lock.
func putReadOnly(ctx context.Context, q Querier, prev MarketDoc, by Actor, reason string) (MarketDoc, error) {
	var out MarketDoc
	doc, err := prev.Doc()
	if err != nil {
		return out, err
	}
	doc.Live = false
	body, err := json.Marshal(doc)
	if err != nil {
		return out, fmt.Errorf("store: market document %s: %w", doc.Key(), err)
	}
	err = q.GetContext(ctx, &out, `INSERT INTO market_documents (market, program, version, document, live, changed_by,
			changed_by_user_id, reason) VALUES ($1, $2, $3, $4, false, $5, $6, $7) RETURNING `+marketDocColumns,
		prev.Market, prev.Program, prev.Version+1, jsonArg(body), by.Name, by.userID(), stopReason+reason)
	if err != nil {
		return out, fmt.Errorf("store: market document %s: %w", doc.Key(), mapErr(err))
	}
	if err := supersedeProposals(ctx, q, prev.Market, prev.Program); err != nil {
		return out, err
	}
	return out, audit(ctx, q, by.Name, "market.read_only", "market", doc.Key(),
		map[string]any{"version": out.Version, "reason": reason})
}

// KeepReadOnlyAfterUpgrade puts back to read-only each of markets (those
// PAYOPS_READ_ONLY_MARKETS still lists) whose only document is the live one
// migration 00030 wrote: that upgrade made every market with payouts live so
// that it stopped nothing, but a market the setting kept read-only was never
// being paid, and paying it is the admins' decision. Once a market has a
// version of anyone else's, or a live payout made since the upgrade, it is
// left alone, so a restart with the setting still there changes nothing. It
// answers the markets it put back.
func (s *Store) KeepReadOnlyAfterUpgrade(ctx context.Context, markets []string) ([]string, error) {
	var kept []string
	for _, m := range markets {
		err := s.WithTx(ctx, func(q Querier) error {
			if err := lockMarketDoc(ctx, q, m, payout.DefaultProgram); err != nil {
				return err
			}
			var docs []MarketDoc
			err := q.SelectContext(ctx, &docs, `SELECT `+marketDocColumns+` FROM market_documents
				WHERE market = $1 AND program = $2 ORDER BY version LIMIT 2`, m, payout.DefaultProgram)
			if err != nil {
				return fmt.Errorf("store: documents of %s: %w", m, err)
			}
			if len(docs) != 1 || docs[0].ChangedBy != UpgradeActor || !docs[0].Live {
				return nil
			}
			// An instance that only warned about the setting has run since
			// the upgrade, and the market has been paid: that stands.
			var paid bool
			// A held payout from before, released and sent since, counts.
			err = q.GetContext(ctx, &paid, `SELECT EXISTS (SELECT 1 FROM payouts WHERE market = $1 AND livemode
				AND (created_at > $2 OR submitted_at > $2))`, m, docs[0].CreatedAt)
			if err != nil || paid {
				return err
			}
			_, err = putReadOnly(ctx, q, docs[0], Actor{Name: UpgradeActor}, "PAYOPS_READ_ONLY_MARKETS listed it when "+
				"launch documents came in: it was never paid and stays read-only until the admins take it live")
			if err == nil {
				kept = append(kept, m)
			}
			return err
		})
		if err != nil {
			return kept, err
		}
	}
	return kept, nil
}
