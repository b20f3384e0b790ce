package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// MarketProposal is a change to a market's document waiting for, or given,
// a second admin's approval.
type MarketProposal struct {
	ID               int64      `db:"id"`
	Market           string     `db:"market"`
	Program          string     `db:"program"`
	BaseVersion      *int       `db:"base_version"`
	Document         []byte     `db:"document"`
	ProposedBy       string     `db:"proposed_by"`
	ProposedByUserID *int64     `db:"proposed_by_user_id"`
	Reason           string     `db:"reason"`
	ProposedAt       time.Time  `db:"proposed_at"`
	State            string     `db:"state"`
	ApprovedBy       *string    `db:"approved_by"`
	ApprovedReason   *string    `db:"approved_reason"`
	DecidedAt        *time.Time `db:"decided_at"`
	Version          *int       `db:"version"`
}

const proposalColumns = `id, market, program, base_version, document, proposed_by, proposed_by_user_id, reason, proposed_at,
	state, approved_by, approved_reason, decided_at, version`

// ProposeMarketDoc records an admin's proposed document for its market,
// with the reason, to be approved by another admin. It is refused (a
// *payout.FieldError) as ApplyMarketDocs refuses a document, ErrRefused
// without a reason or while another proposal for the market is open.
func (s *Store) ProposeMarketDoc(ctx context.Context, d payout.LaunchDoc, by Actor, reason string) (MarketProposal, error) {
	var out MarketProposal
	if strings.TrimSpace(reason) == "" {
		return out, Refused("say why the document changes")
	}
	if err := d.Validate(); err != nil {
		return out, err
	}
	if err := d.CheckLive(); err != nil {
		return out, err
	}
	err := s.WithTx(ctx, func(q Querier) error {
		// A new admin proposes only after the wait too: else one admin
		// adds a second and approves that admin's proposal at once.
		if err := decidesYet(ctx, q, by); err != nil {
			return err
		}
		if err := checkOwners(ctx, q, d); err != nil {
			return err
		}
		var base *int
		prev, err := latestDoc(ctx, q, d.Market, d.Program)
		switch {
		case err == nil:
			base = &prev.Version
		case !errors.Is(err, ErrNotFound):
			return err
		}
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("store: proposal for %s: %w", d.Key(), err)
		}
		err = q.GetContext(ctx, &out, `INSERT INTO market_proposals (market, program, base_version, document, proposed_by,
				proposed_by_user_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+proposalColumns,
			d.Market, d.Program, base, jsonArg(body), by.Name, by.userID(), reason)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return Refused("a change to %s is waiting for approval already: approve or withdraw it first", d.Key())
		}
		if err != nil {
			return fmt.Errorf("store: proposal for %s: %w", d.Key(), err)
		}
		return audit(ctx, q, by.Name, "market.propose", "market", d.Key(), map[string]any{"proposal": out.ID, "reason": reason})
	})
	return out, err
}

// ApproveMarketProposal applies an open proposal as a new version, for an
// admin who did not propose it (payout.ProposalFourEyes: ErrFourEyes),
// with a reason. A proposal whose document changed since it was made is
// refused and marked superseded. The checklist must pass for a live
// document unless acceptUnverified.
func (s *Store) ApproveMarketProposal(ctx context.Context, id int64, by Actor, reason string,
	acceptUnverified bool) (DocApplied, error) {
	var res DocApplied
	if strings.TrimSpace(reason) == "" {
		return res, Refused("say why you approve the change")
	}
	var refusedErr error
	err := s.WithTx(ctx, func(q Querier) error {
		p, err := lockProposal(ctx, q, id)
		if err != nil {
			return err
		}
		if p.State != "open" {
			return Refused("proposal #%d is %s already", id, p.State)
		}
		if err := decidesYet(ctx, q, by); err != nil {
			return err
		}
		proposer := int64(0)
		if p.ProposedByUserID != nil {
			proposer = *p.ProposedByUserID
		}
		if why := payout.ProposalFourEyes(by.UserID, proposer); why != "" || by.Name == p.ProposedBy {
			if why == "" {
				why = "you proposed this change; another admin must approve it"
			}
			return &refusal{kind: ErrFourEyes, msg: fmt.Sprintf("proposal #%d: %s", id, why)}
		}
		cur := 0
		if prev, err := latestDoc(ctx, q, p.Market, p.Program); err == nil {
			cur = prev.Version
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if (p.BaseVersion == nil && cur != 0) || (p.BaseVersion != nil && *p.BaseVersion != cur) {
			if _, err := q.ExecContext(ctx, `UPDATE market_proposals SET state = 'superseded', decided_at = now()
				WHERE id = $1`, id); err != nil {
				return fmt.Errorf("store: supersede proposal %d: %w", id, err)
			}
			refusedErr = Refused("%s/%s changed since proposal #%d was made (now version %d): propose it again",
				p.Market, p.Program, id, cur)
			return nil
		}
		var d payout.LaunchDoc
		if err := json.Unmarshal(p.Document, &d); err != nil {
			return fmt.Errorf("store: proposal %d: %w", id, err)
		}
		opts := ApplyOptions{AcceptUnverified: acceptUnverified, approved: true,
			Reason: fmt.Sprintf("proposed by %s: %s; approved by %s: %s", p.ProposedBy, p.Reason, by.Name, reason)}
		if res, err = applyDoc(ctx, q, d, opts, by); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `UPDATE market_proposals SET state = 'approved', approved_by = $2,
				approved_by_user_id = $3, approved_reason = $4, decided_at = now(), version = $5 WHERE id = $1`,
			id, by.Name, by.userID(), reason, res.Version)
		if err != nil {
			return fmt.Errorf("store: approve proposal %d: %w", id, err)
		}
		return audit(ctx, q, by.Name, "market.approve", "market", d.Key(),
			map[string]any{"proposal": id, "version": res.Version, "reason": reason})
	})
	if err != nil {
		return DocApplied{}, err
	}
	return res, refusedErr
}

// lockProposal locks proposal id for a decision, after its market's
// documents (lockMarketDoc): the order every writer of a market takes them
// in (a stop or a file apply supersedes the open proposal under the
// market's lock), so none waits for another in a circle.
func lockProposal(ctx context.Context, q Querier, id int64) (MarketProposal, error) {
	var key struct {
		Market  string `db:"market"`
		Program string `db:"program"`
	}
	if err := q.GetContext(ctx, &key, `SELECT market, program FROM market_proposals WHERE id = $1`, id); err != nil {
		return MarketProposal{}, fmt.Errorf("store: proposal %d: %w", id, mapErr(err))
	}
	if err := lockMarketDoc(ctx, q, key.Market, key.Program); err != nil {
		return MarketProposal{}, err
	}
	var p MarketProposal
	if err := q.GetContext(ctx, &p, `SELECT `+proposalColumns+` FROM market_proposals WHERE id = $1 FOR UPDATE`, id); err != nil {
		return MarketProposal{}, fmt.Errorf("store: proposal %d: %w", id, mapErr(err))
	}
	return p, nil
}

// WithdrawMarketProposal withdraws an open proposal, by its proposer or
// another admin, with a reason (audited market.withdraw): a proposal that
// will not be approved (an owner disabled since, a checklist that cannot
// pass) no longer blocks the next one.
func (s *Store) WithdrawMarketProposal(ctx context.Context, id int64, by Actor, reason string) (MarketProposal, error) {
	var p MarketProposal
	if strings.TrimSpace(reason) == "" {
		return p, Refused("say why the proposal is withdrawn")
	}
	err := s.WithTx(ctx, func(q Querier) error {
		var err error
		if p, err = lockProposal(ctx, q, id); err != nil {
			return err
		}
		if p.State != "open" {
			return Refused("proposal #%d is %s already", id, p.State)
		}
		if _, err := q.ExecContext(ctx, `UPDATE market_proposals SET state = 'withdrawn', decided_at = now() WHERE id = $1`,
			id); err != nil {
			return fmt.Errorf("store: withdraw proposal %d: %w", id, err)
		}
		return audit(ctx, q, by.Name, "market.withdraw", "market", p.Market+"/"+p.Program,
			map[string]any{"proposal": id, "reason": reason})
	})
	return p, err
}

// OpenMarketProposal returns the proposal waiting for approval for a
// market and program, or ErrNotFound.
func (s *Store) OpenMarketProposal(ctx context.Context, market, program string) (MarketProposal, error) {
	var p MarketProposal
	err := s.db.GetContext(ctx, &p, `SELECT `+proposalColumns+` FROM market_proposals
		WHERE market = $1 AND program = $2 AND state = 'open'`, market, program)
	if err != nil {
		return MarketProposal{}, fmt.Errorf("store: open proposal of %s/%s: %w", market, program, mapErr(err))
	}
	return p, nil
}
