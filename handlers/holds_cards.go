package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// holdCards builds the payout page's hold cards for user u.
func (h *Handlers) holdCards(ctx context.Context, p store.Payout, u User, now time.Time) ([]views.HoldCard, error) {
	holds, err := h.Store.HoldsFor(ctx, p.ID)
	if err != nil || len(holds) == 0 {
		return nil, err
	}
	evidence, err := h.Store.EvidenceFor(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	users, err := h.Store.ActiveUsers(ctx)
	if err != nil {
		return nil, err
	}
	reasons, err := h.Store.HoldReasons(ctx)
	if err != nil {
		return nil, err
	}
	next := map[payout.Reason]string{}
	for _, re := range reasons {
		next[re.Reason] = re.NextOwnerName
	}
	launch, err := h.Store.LaunchOfPayout(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	approvals, err := h.Store.ApprovalsFor(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	var taxStates []string
	for _, t := range payout.TaxArtifacts {
		taxStates = append(taxStates, string(t))
	}
	var out []views.HoldCard
	for _, hd := range holds {
		id := strconv.FormatInt(hd.ID, 10)
		c := views.HoldCard{
			ID: id, Reason: hd.ReasonLabel, Detail: hd.Detail, State: hd.State, Owner: hd.OwnerName,
			PlacedBy: hd.PlacedBy, Placed: agoPtr(now, &hd.PlacedAt), Escalated: hd.EscalatedAt != nil,
			ActionURL: "/holds/" + id, CanAct: u.Role.Can(payout.ActWorkHolds), CanDecide: u.Role.Can(payout.ActDecideHolds),
			Owners: userOptions(users, payout.ActWorkHolds), TaxHold: hd.Reason == payout.ReasonTax, TaxStates: taxStates, NextOwner: next[hd.Reason],
		}
		if hd.Open() {
			c.Due, c.DueLevel = dueIn(now, hd)
		} else if hd.DecidedBy != nil && hd.DecidedAt != nil {
			c.Decision = fmt.Sprintf("%s by %s, %s: %s", hd.State, *hd.DecidedBy, u.stamp(*hd.DecidedAt), deref(hd.DecisionNote))
		}
		c.Waiting = u.waiting(now)
		if why := payout.FourEyes(u.ID, hd.Hands()); why != "" {
			c.ReleaseBlocked = upperFirst(why) + ": another compliance user releases it (four-eyes)."
		}
		c.UnblockEvidence, c.ReleaseLabel = launch.UnblockEvidence(hd.Reason), "Release"
		if hd.Reason == payout.ReasonReview {
			c.ApprovalsNeeded = launch.ApprovalsNeeded(hd.Amount())
		}
		for _, a := range approvals {
			if a.HoldID == hd.ID {
				c.Approvals = append(c.Approvals, views.ApprovalRow{Seq: a.Seq, By: a.ApprovedBy, At: u.stamp(a.ApprovedAt), Note: a.Note})
			}
		}
		if n := len(c.Approvals) + 1; c.ApprovalsNeeded > 1 && n < c.ApprovalsNeeded {
			c.ReleaseLabel = fmt.Sprintf("Approve (%d of %d)", n, c.ApprovalsNeeded)
		} else if c.ApprovalsNeeded > 1 {
			c.ReleaseLabel = fmt.Sprintf("Approve (%d of %d) and release", n, c.ApprovalsNeeded)
		}
		var lastEvidence int64 // 0, none shown: any added since is news to the decider
		for _, e := range evidence {
			if e.HoldID == hd.ID {
				c.Evidence = append(c.Evidence, views.EvidenceRow{At: u.stamp(e.AddedAt), By: e.AddedBy, Kind: e.Kind, Body: e.Body, URL: e.URL})
				lastEvidence = e.ID
			}
		}
		c.Seen = shownOf(lastEvidence, len(c.Approvals))
		out = append(out, c)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// gateRounds groups recorded gate evaluations by the occasion that made
// them together (one transaction: one time), with their inputs as k=v.
func gateRounds(evals []store.GateEvaluation, u User) []views.GateRound {
	var out []views.GateRound
	var last store.GateEvaluation
	for i, e := range evals {
		if i == 0 || e.Occasion != last.Occasion || e.Actor != last.Actor || !e.EvaluatedAt.Equal(last.EvaluatedAt) {
			out = append(out, views.GateRound{At: u.stamp(e.EvaluatedAt), Occasion: e.Occasion, Actor: e.Actor, Passed: true})
		}
		last = e
		round := &out[len(out)-1]
		var in map[string]string
		_ = json.Unmarshal(e.Inputs, &in)
		keys := make([]string, 0, len(in))
		for k := range in {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+dash(in[k]))
		}
		round.Gates = append(round.Gates, views.GateRow{Gate: string(e.Gate), Passed: e.Passed, Answer: e.Answer,
			Inputs: strings.Join(parts, " ")})
		round.Passed = round.Passed && e.Passed
	}
	for i := range out {
		r := &out[i]
		if r.Passed {
			r.Summary = fmt.Sprintf("all %d gates pass", len(r.Gates))
			if len(r.Gates) == 1 {
				r.Summary = r.Gates[0].Gate + " passes"
			}
			continue
		}
		var failed []string
		for _, g := range r.Gates {
			if !g.Passed {
				failed = append(failed, g.Gate)
			}
		}
		r.Summary = "failed: " + strings.Join(failed, ", ")
	}
	return out
}
