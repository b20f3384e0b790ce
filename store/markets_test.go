package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// launchDoc is a complete launch document for market whose owners are
// owner, live or not.
func launchDoc(t *testing.T, market, owner string, live bool) payout.LaunchDoc {
	t.Helper()
	docs, err := payout.ParseLaunchDocs([]byte(fmt.Sprintf(`{"market":%q,"live":%v,"owners":{"payout_support":%[3]q,
		"user_recovery":%[3]q,"blocked_payouts":%[3]q,"incident_response":%[3]q},"tax_artifacts_required":true,
		"settlement":{"rail":"fiat","posting_window":"T+1 by 18:00","fee_treatment":"platform bears the fee",
		"completed_means":"provider SUCCEEDED","exception_path":"ops owner calls the beneficiary"}}`, market, live, owner)))
	if err != nil {
		t.Fatal(err)
	}
	return docs[0]
}

// goLive makes market live by a complete document whose owners are an
// admin (added when missing), its checklist's evidence accepted unverified.
func goLive(t *testing.T, s *store.Store, market string) {
	t.Helper()
	ctx := context.Background()
	const owner = "market-owner@example.com"
	if _, err := s.UserByEmail(ctx, owner); errors.Is(err, store.ErrNotFound) {
		if _, err := s.CreateUser(ctx, store.User{Email: owner, Name: "Market Owner", Role: payout.RoleAdmin,
			PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	_, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{launchDoc(t, market, owner, true)},
		store.ApplyOptions{AcceptUnverified: true, Reason: "test"}, store.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
}

// marketRequest is a live payout (a real provider's: the sandbox's are test
// payouts, which a read-only market does not hold).
func marketRequest(ref, market string, minor int64) payout.Request {
	return payout.Request{ReferenceID: ref, Provider: "nxtbanking", AmountMinor: minor, Currency: "INR", Market: market,
		Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
}

// intakeIn records a payout of minor paise to market and returns it with
// its open holds by reason.
func intakeIn(t *testing.T, s *store.Store, ref, market string, minor int64) (store.Payout, map[payout.Reason]store.Hold) {
	t.Helper()
	ctx := context.Background()
	policy, _ := payout.ParsePolicy("INR=200000.00")
	if _, err := s.Intake(ctx, marketRequest(ref, market, minor), policy, store.Actor{Name: "api:test"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.PayoutByRef(ctx, ref, store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := s.HoldsFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	open := map[payout.Reason]store.Hold{}
	for _, h := range hs {
		if h.Open() {
			open[h.Reason] = h
		}
	}
	return p, open
}

func TestAMarketWithoutALiveDocumentHoldsItsPayouts(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	admin, err := s.CreateUser(ctx, store.User{Email: "admin@example.com", Name: "Admin", Role: payout.RoleAdmin, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateUser(ctx, store.User{Email: "comp@example.com", Name: "Comp", Role: payout.RoleCompliance, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	blocked, err := s.CreateUser(ctx, store.User{Email: "blocked@example.com", Name: "Blocked", Role: payout.RoleCompliance,
		PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}

	// No document: read-only, the hold goes to the first user who may
	// release it (compliance), not the admin, who may not work holds.
	p, holds := intakeIn(t, s, "MK-1", "PH", 100000)
	h, ok := holds[payout.ReasonMarket]
	if p.Status != payout.Held || !ok || len(holds) != 1 {
		t.Fatalf("payout %s with holds %v, want HELD for market_read_only only", p.Status, holds)
	}
	if h.OwnerID == nil || *h.OwnerID != first {
		t.Errorf("hold owner %v, want the first compliance user %d", h.OwnerID, first)
	}

	// An incomplete document without "live" loads; the market stays
	// read-only and its holds go to its blocked-payout owner.
	incomplete := payout.LaunchDoc{Market: "PH", Owners: payout.Owners{BlockedPayouts: "blocked@example.com"}}
	res, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{incomplete}, store.ApplyOptions{}, store.Actor{Name: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].Changed || res[0].Live || res[0].Version != 1 || len(res[0].Missing) == 0 {
		t.Fatalf("applied %+v, want version 1, not live, with fields missing", res)
	}
	p, holds = intakeIn(t, s, "MK-2", "PH", 100000)
	h, ok = holds[payout.ReasonMarket]
	if p.Status != payout.Held || !ok {
		t.Fatalf("payout %s with holds %v, want HELD for market_read_only", p.Status, holds)
	}
	if h.OwnerID == nil || *h.OwnerID != blocked {
		t.Errorf("hold owner %v, want the blocked-payout owner %d", h.OwnerID, blocked)
	}

	// Live: the next payout is queued.
	goLive(t, s, "PH")
	if p, holds = intakeIn(t, s, "MK-3", "PH", 100000); p.Status != payout.Queued || len(holds) != 0 {
		t.Fatalf("payout %s with holds %v in a live market, want QUEUED", p.Status, holds)
	}

	// Back to read-only by one admin, at once: the next payout is held.
	doc, err := s.SetMarketReadOnly(ctx, "PH", payout.DefaultProgram, store.Actor{UserID: admin, Name: "admin@example.com"},
		"incident at the provider")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Live || doc.Version != 3 {
		t.Errorf("read-only version %d live %v, want version 3 not live", doc.Version, doc.Live)
	}
	if p, _ = intakeIn(t, s, "MK-4", "PH", 100000); p.Status != payout.Held {
		t.Fatalf("payout %s after read-only, want HELD", p.Status)
	}
	if _, err := s.SetMarketReadOnly(ctx, "PH", payout.DefaultProgram, store.Actor{Name: "x"}, "again"); !errors.Is(err, store.ErrRefused) {
		t.Errorf("read-only twice: %v, want ErrRefused", err)
	}
}

func TestADrillPayoutIsNotHeldByTheMarket(t *testing.T) {
	s := pgtest.New(t)
	req := marketRequest("DR-1", "PH", 100000)
	req.Provider = payout.DrillProvider
	policy, _ := payout.ParsePolicy("")
	if _, err := s.Intake(context.Background(), req, policy, store.Actor{Name: "drill"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.PayoutByRef(context.Background(), "DR-1", store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payout.Queued {
		t.Errorf("drill payout %s in a read-only market, want QUEUED", p.Status)
	}
}

func TestTheDocumentsReviewThresholdApplies(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	goLive(t, s, "PH")
	doc := launchDoc(t, "PH", "market-owner@example.com", true)
	doc.ReviewThresholds = map[string]string{"INR": "10000.00"}
	if _, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{doc}, store.ApplyOptions{AcceptUnverified: true},
		store.Actor{Name: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, holds := intakeIn(t, s, "TH-1", "PH", 1000001); len(holds) != 1 || holds[payout.ReasonReview].ID == 0 {
		t.Errorf("10,000.01 INR in PH: holds %v, want a review hold by the document's threshold", holds)
	}
	// IN has no threshold of its own: the configured 2 lakh applies.
	if p, holds := intakeIn(t, s, "TH-2", "IN", 1000001); p.Status != payout.Queued || len(holds) != 0 {
		t.Errorf("10,000.01 INR in IN: %s with holds %v, want QUEUED", p.Status, holds)
	}
}

func TestApplyMarketDocs(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	if _, err := s.CreateUser(ctx, store.User{Email: "ops@example.com", Name: "Ops", Role: payout.RoleOps, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	cli := store.Actor{Name: "cli"}
	fieldOf := func(err error) string {
		var fe *payout.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v, want a *payout.FieldError", err)
		}
		return fe.Field
	}

	// All or nothing: the second document names no user, so the first is
	// not loaded either.
	good := launchDoc(t, "VN", "ops@example.com", false)
	bad := launchDoc(t, "TH", "nobody@example.com", false)
	_, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{good, bad}, store.ApplyOptions{}, cli)
	if got := fieldOf(err); got != "owners.payout_support" {
		t.Errorf("field %q, want owners.payout_support", got)
	}
	if h, err := s.MarketHistory(ctx, "VN", payout.DefaultProgram); err != nil || len(h) != 0 {
		t.Fatalf("VN history after a refused apply: %v %v, want none", h, err)
	}

	// Live but incomplete: refused naming the field.
	incomplete := launchDoc(t, "VN", "ops@example.com", true)
	incomplete.Settlement.PostingWindow = ""
	_, err = s.ApplyMarketDocs(ctx, []payout.LaunchDoc{incomplete}, store.ApplyOptions{AcceptUnverified: true}, cli)
	if got := fieldOf(err); got != "settlement.posting_window" {
		t.Errorf("field %q, want settlement.posting_window", got)
	}

	// Live and complete, but no drill, no sign-off: refused unless the
	// unverified checklist is accepted.
	live := launchDoc(t, "VN", "ops@example.com", true)
	_, err = s.ApplyMarketDocs(ctx, []payout.LaunchDoc{live}, store.ApplyOptions{}, cli)
	if got := fieldOf(err); got != "live" {
		t.Errorf("field %q, want live", got)
	}
	res, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{live}, store.ApplyOptions{AcceptUnverified: true}, cli)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed || !res[0].Live || res[0].Version != 1 || res[0].Ready != 4 {
		t.Errorf("applied %+v, want version 1 live with 4 of 6 checkpoints (no drill, no sign-off)", res[0])
	}

	// The same again writes nothing; a change writes version 2, with its
	// reason in the history.
	if res, err = s.ApplyMarketDocs(ctx, []payout.LaunchDoc{live}, store.ApplyOptions{AcceptUnverified: true}, cli); err != nil ||
		res[0].Changed || res[0].Version != 1 {
		t.Fatalf("same document again: %+v %v, want unchanged version 1", res, err)
	}
	live.Settlement.PostingWindow = "T+2"
	if res, err = s.ApplyMarketDocs(ctx, []payout.LaunchDoc{live}, store.ApplyOptions{AcceptUnverified: true, Reason: "slower bank"},
		cli); err != nil || !res[0].Changed || res[0].Version != 2 {
		t.Fatalf("changed document: %+v %v, want version 2", res, err)
	}
	hist, err := s.MarketHistory(ctx, "VN", payout.DefaultProgram)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history %v %v, want two versions", hist, err)
	}
	newest, err := hist[0].Doc()
	if err != nil {
		t.Fatal(err)
	}
	oldest, err := hist[1].Doc()
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].ChangedBy != "cli" || hist[0].Reason[:11] != "slower bank" {
		t.Errorf("version 2 by %q because %q, want cli and the reason given", hist[0].ChangedBy, hist[0].Reason)
	}
	if diff := payout.DiffDocs(oldest, newest); len(diff) != 1 || diff[0].Field != "settlement.posting_window" {
		t.Errorf("diff between versions %v, want the posting window", diff)
	}
}

// twoAdmins adds the admins a1@ and a2@example.com.
func twoAdmins(t *testing.T, s *store.Store) [2]store.Actor {
	t.Helper()
	var admins [2]store.Actor
	for i, email := range []string{"a1@example.com", "a2@example.com"} {
		id, err := s.CreateUser(context.Background(), store.User{Email: email, Name: email, Role: payout.RoleAdmin,
			PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		admins[i] = store.Actor{UserID: id, Name: email}
	}
	return admins
}

func TestGoingLiveTakesTwoAdmins(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	admins := twoAdmins(t, s)
	doc := launchDoc(t, "PH", "a1@example.com", true)
	if _, err := s.ProposeMarketDoc(ctx, doc, admins[0], ""); !errors.Is(err, store.ErrRefused) {
		t.Errorf("a proposal without a reason: %v, want ErrRefused", err)
	}
	p, err := s.ProposeMarketDoc(ctx, doc, admins[0], "PH launch approved by the board")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProposeMarketDoc(ctx, doc, admins[1], "again"); !errors.Is(err, store.ErrRefused) {
		t.Errorf("a second open proposal: %v, want ErrRefused", err)
	}
	// Proposed, not approved: still read-only.
	if pay, _ := intakeIn(t, s, "PR-1", "PH", 100000); pay.Status != payout.Held {
		t.Fatalf("payout %s before approval, want HELD", pay.Status)
	}
	if _, err := s.ApproveMarketProposal(ctx, p.ID, admins[0], "looks right", true); !errors.Is(err, store.ErrFourEyes) {
		t.Fatalf("the proposer approving: %v, want ErrFourEyes", err)
	}
	// An admin the proposer adds from the dashboard waits before approving
	// (payout.GrantWait): one admin cannot approve their own proposal so.
	third, err := s.AddUser(ctx, store.User{Email: "a3@example.com", Name: "a3", Role: payout.RoleAdmin, PasswordHash: "x"}, admins[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveMarketProposal(ctx, p.ID, store.Actor{UserID: third, Name: "a3@example.com"}, "fine", true); !errors.Is(err, store.ErrFourEyes) ||
		!strings.Contains(err.Error(), "you decide from") {
		t.Fatalf("an admin the proposer added a moment ago approving: %v, want ErrFourEyes saying when", err)
	}
	if _, err := s.ProposeMarketDoc(ctx, launchDoc(t, "ID", "a1@example.com", true), store.Actor{UserID: third, Name: "a3@example.com"},
		"for a1 to approve"); !errors.Is(err, store.ErrFourEyes) {
		t.Fatalf("that admin proposing: %v, want ErrFourEyes (a1 would approve it at once)", err)
	}
	res, err := s.ApproveMarketProposal(ctx, p.ID, admins[1], "checked the owners", true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Live || res.Version != 1 {
		t.Fatalf("approved %+v, want version 1 live", res)
	}
	if pay, _ := intakeIn(t, s, "PR-2", "PH", 100000); pay.Status != payout.Queued {
		t.Fatalf("payout %s after approval, want QUEUED", pay.Status)
	}
	if _, err := s.ApproveMarketProposal(ctx, p.ID, admins[1], "twice", true); !errors.Is(err, store.ErrRefused) {
		t.Errorf("approving twice: %v, want ErrRefused", err)
	}

	// A proposal overtaken by another change is superseded, not applied.
	change := doc
	change.Settlement.PostingWindow = "T+3"
	p2, err := s.ProposeMarketDoc(ctx, change, admins[0], "slower")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMarketReadOnly(ctx, "PH", payout.DefaultProgram, admins[1], "incident"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveMarketProposal(ctx, p2.ID, admins[1], "ok", true); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("approving a stale proposal: %v, want ErrRefused", err)
	}
	if _, err := s.OpenMarketProposal(ctx, "PH", payout.DefaultProgram); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("open proposal after supersession: %v, want none", err)
	}
}

// A file applied again unchanged writes nothing and is checked no further;
// a file cannot make live again a market an admin put back to read-only
// (the next deploy would undo an incident's stop): that takes the four-eyes
// proposal, after which the file applies as before.
func TestApplyNeitherRechecksTheUnchangedNorUndoesAStop(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	admins := twoAdmins(t, s)
	cli := store.Actor{Name: "deploy"}
	doc := launchDoc(t, "PH", "a1@example.com", true)
	apply := func(accept bool) ([]store.DocApplied, error) {
		t.Helper()
		return s.ApplyMarketDocs(ctx, []payout.LaunchDoc{doc}, store.ApplyOptions{AcceptUnverified: accept}, cli)
	}
	if _, err := apply(true); err != nil {
		t.Fatal(err)
	}
	// Unchanged: no drill or sign-off was ever shown, yet nothing is refused.
	if res, err := apply(false); err != nil || res[0].Changed || res[0].Version != 1 {
		t.Fatalf("the same file again without --accept-unverified-checklist: %+v %v, want unchanged version 1", res, err)
	}

	if _, err := s.SetMarketReadOnly(ctx, "PH", payout.DefaultProgram, admins[0], "provider incident"); err != nil {
		t.Fatal(err)
	}
	refused := func(what string) {
		t.Helper()
		_, err := apply(true)
		var fe *payout.FieldError
		if !errors.As(err, &fe) || fe.Field != "live" || !strings.Contains(fe.Msg, "a1@example.com put it back to read-only") {
			t.Fatalf("%s: %v, want the live field refused, naming the stop", what, err)
		}
		if pay, _ := intakeIn(t, s, "STOP-"+what, "PH", 100000); pay.Status != payout.Held {
			t.Fatalf("%s: payout %s, want HELD", what, pay.Status)
		}
	}
	refused("after-stop")
	// A read-only change in between does not lift the stop either.
	doc.Live = false
	doc.Settlement.PostingWindow = "T+2"
	if res, err := apply(false); err != nil || !res[0].Changed || res[0].Live {
		t.Fatalf("a read-only change after the stop: %+v %v", res, err)
	}
	doc.Live = true
	refused("after-change")

	p, err := s.ProposeMarketDoc(ctx, doc, admins[0], "incident over")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveMarketProposal(ctx, p.ID, admins[1], "provider confirmed", true); err != nil {
		t.Fatal(err)
	}
	doc.Settlement.PostingWindow = "T+1"
	if res, err := apply(true); err != nil || !res[0].Changed || !res[0].Live {
		t.Fatalf("a change after the four-eyes relaunch: %+v %v, want a live version", res, err)
	}
}

// A passed drill that disrupts webhooks counts toward the launch checklist
// of the market it ran against only, and only while fresh.
func TestADrillCountsForItsOwnMarket(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	by := store.Actor{Name: "admin@example.com"}
	drillOf := func(market, scenario string, finishedAgo time.Duration) int64 {
		t.Helper()
		run, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: scenario, Market: market, Payouts: 10}, by)
		if err != nil {
			t.Fatal(err)
		}
		if run.Market != market {
			t.Fatalf("drill for %s recorded for %q", market, run.Market)
		}
		if err := s.FinishDrillRun(ctx, run.ID, store.DrillPassed, map[string]int{}, ""); err != nil {
			t.Fatal(err)
		}
		s.DB().MustExec(`UPDATE drill_runs SET finished_at = now() - $2 * interval '1 second' WHERE id = $1`,
			run.ID, finishedAgo.Seconds())
		return run.ID
	}
	drillFor := func(market string, finishedAgo time.Duration) int64 {
		t.Helper()
		return drillOf(market, "lost-webhooks", finishedAgo)
	}
	drills := func(market string) []int64 {
		t.Helper()
		ev, err := s.MarketEvidence(ctx, market)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range ev.Drills {
			ids = append(ids, d.RunID)
		}
		return ids
	}
	drillPassed := func(market string) bool {
		t.Helper()
		ev, err := s.MarketEvidence(ctx, market)
		if err != nil {
			t.Fatal(err)
		}
		return payout.Checklist(launchDoc(t, market, "ops@example.com", false), ev)[3].Passed
	}

	drillOf("IN", "happy", time.Minute)
	if drillPassed("IN") {
		t.Error("a drill of a well-behaved provider ticks IN's checklist")
	}
	in := drillFor("IN", time.Hour)
	if got := drills("PH"); len(got) != 0 || drillPassed("PH") {
		t.Errorf("PH's evidence after a drill for IN: %v, want none", got)
	}
	if got := drills("IN"); len(got) != 2 || !slices.Contains(got, in) || !drillPassed("IN") {
		t.Errorf("IN's evidence: %v, want drill %d", got, in)
	}
	drillFor("PH", payout.DrillFreshness+time.Hour) // stale
	if drillPassed("PH") {
		t.Error("a stale drill for PH ticks PH's checklist")
	}
	ph := drillFor("PH", time.Minute)
	if got := drills("PH"); len(got) != 1 || got[0] != ph || !drillPassed("PH") {
		t.Errorf("PH's evidence: %v, want drill %d", got, ph)
	}
	// A drill of the default market (no market given) is IN's, as every
	// drill run before drills had a market.
	run, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 1}, by)
	if err != nil || run.Market != "IN" {
		t.Errorf("drill without a market: %q %v, want IN", run.Market, err)
	}
}

// An approval and a stop of the same market at the same moment end one
// after the other — the approval refused (superseded) or the stop refused
// (read-only already) or both done in turn — never in a deadlock (they took
// the proposal's row and the market's lock in opposite orders).
func TestAnApprovalAndAStopAtOnceDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	admins := twoAdmins(t, s)
	// A market a round: a file cannot make live again a market put back to
	// read-only.
	for round, market := range []string{"PH", "VN", "TH", "MY", "SG", "ID", "KH", "LA"} {
		live := launchDoc(t, market, "a1@example.com", true)
		readOnly := launchDoc(t, market, "a1@example.com", false)
		if _, err := s.ApplyMarketDocs(ctx, []payout.LaunchDoc{live}, store.ApplyOptions{AcceptUnverified: true}, admins[0]); err != nil {
			t.Fatal(err)
		}
		readOnly.Settlement.PostingWindow = fmt.Sprintf("T+%d by 18:00", round+2)
		p, err := s.ProposeMarketDoc(ctx, readOnly, admins[0], "slower bank")
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() {
			_, err := s.ApproveMarketProposal(ctx, p.ID, admins[1], "agreed", true)
			errs <- err
		}()
		go func() {
			_, err := s.SetMarketReadOnly(ctx, market, payout.DefaultProgram, admins[1], "provider incident")
			errs <- err
		}()
		for range 2 {
			if err := <-errs; err != nil && !errors.Is(err, store.ErrRefused) {
				t.Fatalf("round %d: %v, want done or refused", round, err)
			}
		}
	}
}
