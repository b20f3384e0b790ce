package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// Applied is what applying one observation did to a payout.
type Applied struct {
	Decision payout.Decision
	From     payout.Status
	To       payout.Status
	Message  string // for the operator: "moved to SUCCEEDED"
	Payout   Payout // the payout after the change (ApplyObservation only)
}

// ApplyObservation is the one place an observed provider status reaches a
// payout: the Re-check button, the cron reconciler and the webhook endpoint
// (through IngestWebhook) all end in apply. In one transaction it locks the
// payout's row, applies the transition rule, merges metadata, and records an
// event row and an audit row whatever the rule decided. It returns
// ErrNotFound for an unknown reference in mode m (callers who asked a
// provider about a payout name its mode Exactly).
func (s *Store) ApplyObservation(ctx context.Context, ref string, m RefMode, obs payout.Observation) (Applied, error) {
	var res Applied
	var live bool
	err := s.WithTx(ctx, func(q Querier) error {
		var cur payoutNow
		if err := getFast(ctx, q, &cur, `SELECT `+payoutNowColumns+` FROM payouts p`+byRef+` FOR UPDATE`,
			refArgs(ref, m)...); err != nil {
			return fmt.Errorf("store: apply to payout %s: %w", ref, mapErr(err))
		}
		live = cur.Livemode
		var err error
		res, err = applyTo(ctx, q, cur, obs, nil)
		return err
	})
	if err != nil {
		return Applied{}, err
	}
	p, err := s.PayoutByRef(ctx, ref, Exactly(live))
	if err != nil {
		return Applied{}, err
	}
	res.Payout = p
	return res, nil
}

// paidBefore reports whether the payout was paid, for payout.MergeFee: it
// SUCCEEDED, or it was reversed after it had, which its ledger says; asked
// of the ledger only when that decides something (a reversed payout's
// observation stating a fee other than the one recorded), which is rare.
func paidBefore(ctx context.Context, q Querier, cur payoutNow, observedFee *int64) (bool, error) {
	if cur.Status != payout.Reversed || observedFee == nil || cur.FeeMinor == nil || *cur.FeeMinor == *observedFee {
		return cur.Status == payout.Succeeded, nil
	}
	var paid bool
	err := q.GetContext(ctx, &paid, `SELECT EXISTS (SELECT 1 FROM ledger_postings
		WHERE payout_id = $1 AND payout_created_at = $2 AND kind = 'succeeded')`, cur.ID, cur.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("store: ledger of payout %s: %w", cur.Ref, err)
	}
	return paid, nil
}

// payoutNow is what apply reads of a payout: the transition rule's inputs
// and what it writes from.
type payoutNow struct {
	ID               int64         `db:"id"`
	Ref              string        `db:"reference_id"`
	Provider         string        `db:"provider"`
	AmountMinor      int64         `db:"amount_minor"`
	Currency         string        `db:"currency"`
	Status           payout.Status `db:"status"`
	ProviderPayoutID *string       `db:"provider_payout_id"`
	UTR              string        `db:"utr"`
	FailureCode      string        `db:"failure_code"`
	FailureReason    string        `db:"failure_reason"`
	FeeMinor         *int64        `db:"fee_minor"`
	Livemode         bool          `db:"livemode"`
	State            string        `db:"provider_state"`
	StateReason      string        `db:"provider_state_reason"`
	PendingApproval  bool          `db:"pending_approval"`
	CreatedAt        time.Time     `db:"created_at"`
	Sent             bool          `db:"sent"` // submitted_at is set
}

const payoutNowColumns = `id, reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
	failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval, created_at,
	submitted_at IS NOT NULL AS sent`

// apply applies obs to payout id, which the caller has locked in q's
// transaction. deliveryID links the event to the webhook delivery it came
// from, if any.
func apply(ctx context.Context, q Querier, id int64, obs payout.Observation, deliveryID *int64) (Applied, error) {
	var cur payoutNow
	if err := getFast(ctx, q, &cur, `SELECT `+payoutNowColumns+` FROM payouts WHERE id = $1`, id); err != nil {
		return Applied{}, fmt.Errorf("store: apply to payout %d: %w", id, mapErr(err))
	}
	return applyTo(ctx, q, cur, obs, deliveryID)
}

// applyTo applies obs to cur, the payout as read under its row lock in q's
// transaction. It writes the payout, its ledger postings, its event and its
// audit entry in one statement (rows.write), then what follows from the
// change (applyPlan.after). Webhooks take the same two steps for a group
// (ingest).
func applyTo(ctx context.Context, q Querier, cur payoutNow, obs payout.Observation, deliveryID *int64) (Applied, error) {
	var r rows
	pl, err := planApply(ctx, q, cur, obs, deliveryID, &r)
	if err != nil {
		return Applied{}, err
	}
	w, err := r.write(ctx, q)
	if err != nil {
		return Applied{}, fmt.Errorf("store: apply to payout %s: %w", cur.Ref, mapErr(err))
	}
	return pl.res, pl.after(ctx, q, w)
}

// applyPlan is what apply decided for one payout, and what it still has to
// do once its rows are written.
type applyPlan struct {
	res                         Applied
	cur                         payoutNow
	obs                         payout.Observation
	deliveryID                  *int64
	event                       string // the outbound event the change announces, if any
	heldAnswered, amountDiffers bool
	mismatch                    payout.AmountMismatch
	f                           appliedFacts
	ppid                        *string
	state, stateReason          string
	pending                     bool
}

// planApply decides what obs does to cur (payout.DecideFor, the one rule)
// and adds the rows that records to r: the payout's new state, its ledger
// postings, its event and audit entry. It reads the database only on rare
// paths (a HELD payout's report, a reversed payout's fee), and closes the
// holds of a HELD payout its provider turns out to have.
func planApply(ctx context.Context, q Querier, cur payoutNow, obs payout.Observation, deliveryID *int64, r *rows) (applyPlan, error) {
	// A provider's words are recorded as text PostgreSQL takes, whatever
	// path brought them: a webhook (checked already), a poll, a Re-check, a
	// submission's answer.
	obs = obs.Storable()
	id := cur.ID
	d := payout.DecideFor(cur.Provider, cur.Status, obs.Status)
	heldAnswered := false
	if cur.Status == payout.Held && d == payout.Anomaly {
		// Read on this rare path only, not by every delivery.
		var mayHave bool
		if err := q.GetContext(ctx, &mayHave, `SELECT `+heldMayHaveSQL+` FROM payouts p WHERE id = $1`, id); err != nil {
			return applyPlan{}, fmt.Errorf("store: apply to payout %s: %w", cur.Ref, err)
		}
		d = payout.DecideHeld(cur.Provider, obs.Status, mayHave)
		heldAnswered = d == payout.Apply
	}
	next := cur.Status
	if d == payout.Apply {
		next = obs.Status
	}
	// Metadata is merged only from an observation about the state the payout
	// ends in: a UTR from a stale PROCESSING event is not trusted.
	utr, code, reason, fee := cur.UTR, cur.FailureCode, cur.FailureReason, cur.FeeMinor
	metaChanged := false
	var feePosted *int64 // the posted fee an observation stated another than
	if d == payout.Apply || d == payout.Merge {
		metaChanged = merge(&utr, obs.UTR) || metaChanged
		metaChanged = merge(&code, obs.FailureCode) || metaChanged
		metaChanged = merge(&reason, obs.FailureReason) || metaChanged
		var observedFee *int64
		if obs.Fee != nil {
			observedFee = &obs.Fee.Minor
		}
		paid, err := paidBefore(ctx, q, cur, observedFee)
		if err != nil {
			return applyPlan{}, err
		}
		var feeChanged bool
		fee, feeChanged, feePosted = payout.MergeFee(paid, fee, observedFee)
		metaChanged = feeChanged || metaChanged
	}
	// The provider's own sub-state, from the same observations as the
	// metadata. It is not a change of the payout (updated_at stays, so the
	// stuck list still sees how long nothing has happened).
	state, stateReason, pending := cur.State, cur.StateReason, cur.PendingApproval
	if (d == payout.Apply || d == payout.Merge) && obs.RawStatus != "" {
		if obs.RawStatus != state {
			stateReason = obs.StateReason
		} else {
			merge(&stateReason, obs.StateReason)
		}
		state, pending = obs.RawStatus, obs.PendingApproval
	}
	ppid := cur.ProviderPayoutID
	if ppid == nil && obs.ProviderPayoutID != "" {
		ppid, metaChanged = &obs.ProviderPayoutID, true
	}
	checked := obs.Source == payout.SourcePoll || obs.Source == payout.SourceManual
	// The provider spoke about the payout, so it has it, whatever became of
	// the submission's own answer (a timeout may have lost it): the payout
	// counts as sent, for the stale re-check above all.
	fromProvider := checked || obs.Source == payout.SourceWebhook

	event := payout.ChangeEvent(cur.Status, next, d, metaChanged)
	msg := payout.Outcome(d, cur.Status, obs.Status, metaChanged)
	f := appliedFacts{id: id, ref: cur.Ref, provider: cur.Provider, livemode: cur.Livemode, status: next,
		amount: payout.Money{Minor: cur.AmountMinor, Currency: cur.Currency}}
	// Compared in Go with what apply read: a statement only when they differ.
	m, amountDiffers := payout.CompareAmount(f.amount, obs.Amount)
	if amountDiffers {
		msg += "; " + m.Summary(cur.Ref, cur.Provider)
	}
	if feePosted != nil {
		msg += fmt.Sprintf("; fee %s stated, not the %s posted: the posting stands (reconciliation compares fees)",
			payout.Money{Minor: obs.Fee.Minor, Currency: cur.Currency}.Decimal(),
			payout.Money{Minor: *feePosted, Currency: cur.Currency}.Decimal())
	}
	if heldAnswered {
		n, err := closeHoldsAnswered(ctx, q, cur, obs)
		if err != nil {
			return applyPlan{}, err
		}
		msg += fmt.Sprintf("; %s has it: its %d open hold(s) closed, as they can no longer stop it", cur.Provider, n)
	}
	pl := applyPlan{res: Applied{Decision: d, From: cur.Status, To: next, Message: msg}, cur: cur, obs: obs,
		deliveryID: deliveryID, event: event, heldAnswered: heldAnswered, amountDiffers: amountDiffers, mismatch: m, f: f,
		ppid: ppid, state: state, stateReason: stateReason, pending: pending}

	v := saved{id: id, status: next, utr: utr, code: code, reason: reason, fee: fee, ppid: ppid,
		changed: next != cur.Status || metaChanged, checked: checked, answered: fromProvider, state: state,
		stateReason: stateReason, pending: pending, event: event}
	// What the provider said that payops did not know besides the state and
	// its details: that it has the payout, its own sub-state.
	providerNews := (v.answered && !cur.Sent) || state != cur.State || stateReason != cur.StateReason ||
		pending != cur.PendingApproval
	// A stale or repeated observation from a webhook changes nothing of the
	// payout: its row is not written again.
	if v.changed || v.checked || providerNews {
		r.save(v)
	}
	lp := ledgerPayout{ID: id, Provider: cur.Provider, Amount: f.amount, Fee: fee, CreatedAt: cur.CreatedAt}
	if err := postOutcome(ctx, q, r, lp, cur.Status, next); err != nil {
		return applyPlan{}, err
	}
	if payout.Recorded(obs.Source, d, metaChanged || amountDiffers || feePosted != nil || providerNews) {
		r.event(id, obs, cur.Status, string(d), msg, deliveryID)
		if err := r.audit(actorOf(obs), "payout.observe", "payout", payoutEntity(cur.Ref, cur.Livemode), map[string]any{
			"source": obs.Source, "raw_status": obs.RawStatus, "observed": obs.Status,
			"from": cur.Status, "to": next, "decision": d,
		}); err != nil {
			return applyPlan{}, err
		}
	}
	return pl, nil
}

// after does what follows from the change once its rows are written (w):
// its outbound events (events), then the rest (followUps).
func (pl applyPlan) after(ctx context.Context, q Querier, w written) error {
	var ev payoutEvents
	pl.events(w, &ev)
	if err := ev.write(ctx, q); err != nil {
		return err
	}
	return pl.followUps(ctx, q)
}

// events adds the change's outbound event to ev, for subscribed endpoints
// (written after the ledger posting: the event's payout shows it).
func (pl applyPlan) events(w written, ev *payoutEvents) {
	id := pl.cur.ID
	if pl.event != "" && w.subscribes(id) {
		ev.add(id, pl.event)
	}
	if pl.heldAnswered && pl.event == "" {
		// Out of HELD into a state with no event of its own (QUEUED at the
		// provider): the platform's last word was payout.held.
		ev.add(id, payout.EventHoldReleased)
	}
}

// followUps opens the cases a difference opens and adopts the orphans the
// provider's id now known adopts, after the change's outbound events.
func (pl applyPlan) followUps(ctx context.Context, q Querier) error {
	cur, id := pl.cur, pl.cur.ID
	if pl.amountDiffers {
		if err := openAmountCase(ctx, q, pl.f, pl.mismatch, pl.obs, pl.res.Decision, pl.deliveryID); err != nil {
			return err
		}
	}
	if pl.pending && !cur.PendingApproval {
		if err := openApprovalCase(ctx, q, pl.f, pl.state, pl.stateReason); err != nil {
			return err
		}
	}
	if pl.ppid != nil && cur.ProviderPayoutID == nil {
		// The provider's id is known now: events that came before it may be
		// waiting as orphans.
		if err := adoptOrphans(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// heldMayHaveSQL is true for a HELD payout the provider may have
// (payout.DecideHeld): a submission of it got no clear answer, or one was
// tried and the provider answered about it (accepted it late, spoke of it
// while held). One held before any attempt was never sent: a report about
// it stays an anomaly. payouts must be aliased p.
const heldMayHaveSQL = `(p.submit_outcome_unknown OR (p.submitted_at IS NOT NULL AND p.submit_attempts > 0))`

// closeHoldsAnswered closes the open holds of cur, a HELD payout whose
// provider may have it and has now spoken about it (payout.DecideHeld): a
// hold can no longer stop what the provider has. Each is closed (state
// 'closed', migration 00055: nobody decided it, so it is no release) and
// audited, and the submission's outcome is known from now on. It returns
// how many closed.
func closeHoldsAnswered(ctx context.Context, q Querier, cur payoutNow, obs payout.Observation) (int, error) {
	note := fmt.Sprintf("%s answered about the payout (%s): it has it, so the hold could no longer stop it",
		cur.Provider, obs.Status)
	var holds []struct {
		ID     int64         `db:"id"`
		Reason payout.Reason `db:"reason"`
	}
	err := q.SelectContext(ctx, &holds, `UPDATE holds SET state = 'closed', decided_by = $2, decided_at = now(),
		decision_note = $3 WHERE payout_id = $1 AND state = 'open' RETURNING id, reason`, cur.ID, actorOf(obs), note)
	if err != nil {
		return 0, fmt.Errorf("store: close holds of payout %s: %w", cur.Ref, err)
	}
	for _, h := range holds {
		if err := audit(ctx, q, actorOf(obs), "hold.closed_by_provider", "payout", payoutEntity(cur.Ref, cur.Livemode),
			map[string]any{"hold": h.ID, "reason": h.Reason, "observed": obs.Status, "note": note}); err != nil {
			return 0, err
		}
	}
	if _, err := q.ExecContext(ctx, `UPDATE payouts SET submit_outcome_unknown = false WHERE id = $1`, cur.ID); err != nil {
		return 0, fmt.Errorf("store: payout %s answered: %w", cur.Ref, err)
	}
	return len(holds), nil
}

// saved is what apply writes to a payout.
type saved struct {
	id                         int64
	status                     payout.Status
	utr, code, reason          string
	fee                        *int64
	ppid                       *string
	changed, checked, answered bool // updated_at; last_checked_at and last_answered_at; submitted_at
	state, stateReason         string
	pending                    bool
	// The outbound event announcing the change ("" for none): the same
	// statement answers whether an endpoint subscribes to it, so that
	// without endpoints announcing it costs no statement at all.
	event string
}

// merge sets *dst to v when v is new information, and reports whether it did.
func merge(dst *string, v string) bool {
	if v == "" || v == *dst {
		return false
	}
	*dst = v
	return true
}

func actorOf(obs payout.Observation) string {
	if obs.Actor != "" {
		return obs.Actor
	}
	return string(obs.Source)
}
