package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/drill"
	"payops/payout"
	"payops/store"
)

// walkSeed fills a's database the way a working day leaves it, with long
// references, names and notes, so that every page the walk opens has real
// rows: held payouts of every reason (owned, escalated, with evidence), a
// rejected one (CANCELLED), stuck and settled payouts, webhook deliveries
// (applied and forged), fourteen days of reconciliation with a day full of
// differences, a job run, a failed drill's report and the audit entries of
// all that. It returns the real paths for the routes with path parameters,
// and extra views of some others, by route pattern.
func walkSeed(t *testing.T, a *app) map[string][]string {
	t.Helper()
	for _, r := range payout.Roles {
		a.addUser(string(r)+"@example.com", r)
	}
	// Outbound webhook endpoints first: the payouts below make their events.
	endpointID := walkEndpoints(t, a)
	// The reconciled days first: payouts added after them are not in them.
	gridFixture(t, a)
	day := pastDay(3)
	layoutDay(t, a, day)
	a.withToken()
	held := walkHolds(t, a)
	for i, st := range []payout.Status{payout.Processing, payout.Queued, payout.Succeeded, payout.Failed} {
		a.addPayout(fmt.Sprintf("MARKETPLACE-SELLER-SETTLEMENT-2026-%05d", 4100+i), st, time.Duration(30-i*7)*time.Hour)
	}
	walkArchive(t, a)
	a.addPayout("WALK-WEBHOOK-1", payout.Processing, 3*time.Hour)
	body, sig := sandboxWebhook("WALK-WEBHOOK-1", "SUCCESS", "UTR-HDFC-20261102-000418877")
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	forged, _ := sandboxWebhook("WALK-WEBHOOK-1", "FAILED", "")
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", forged, map[string]string{"X-NxtB-Signature": "00"}); code != 401 {
		t.Fatalf("forged webhook: %d", code)
	}
	// Waiting for approval inside RazorpayX, and queued there for low
	// balance: labelled in the stuck list and on the payout's page.
	for ref, obs := range map[string]payout.Observation{
		"WALK-RZP-PENDING-APPROVAL": {RawStatus: "pending", PendingApproval: true},
		"WALK-RZP-QUEUED": {RawStatus: "queued",
			StateReason: "low_balance: Your account balance is low. Add funds to process the payout."},
	} {
		a.addPayout(ref, payout.Queued, 5*time.Hour)
		a.store.DB().MustExec(`UPDATE payouts SET provider = 'razorpayx' WHERE reference_id = $1`, ref)
		obs.Source, obs.Status, obs.ProviderPayoutID = payout.SourceWebhook, payout.Queued, "pout_"+ref
		if _, err := a.store.ApplyObservation(context.Background(), ref, store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	drillID := walkDrill(t, a)
	admin := a.client()
	admin.login("admin@example.com")
	if code, _, _ := admin.do("POST", "/jobs/hold-sla/run", nil, nil); code != http.StatusSeeOther {
		t.Fatalf("run the hold SLA job: %d", code)
	}
	link, tokenID := walkSettings(t, a)
	walkMarkets(t, a)
	caseID := walkExceptions(t, a)
	walkNotifications(t, a)
	walkDeliveries(t, a, endpointID)
	dayURL := "/reconciliation/sandbox/" + day.Format(time.DateOnly)
	uploadURL := "/reconciliation/xendit/" + pastDay(1).Format(time.DateOnly)
	drillURL := fmt.Sprintf("/drills/%d", drillID)
	return map[string][]string{
		"GET /payouts/{ref}":                                {"/payouts/" + held, "/payouts/WALK-WEBHOOK-1", "/payouts/WALK-RZP-PENDING-APPROVAL"},
		"GET /reconciliation":                               {"/reconciliation", "/reconciliation?view=action"},
		"GET /reconciliation/{provider}/{date}":             {dayURL, uploadURL},
		"GET /reconciliation/{provider}/{date}/totals.csv":  {dayURL + "/totals.csv"},
		"GET /reconciliation/{provider}/{date}/diffs.csv":   {dayURL + "/diffs.csv"},
		"GET /reconciliation/{provider}/{date}/records.csv": {dayURL + "/records.csv"},
		"GET /drills/{id}":                                  {drillURL},
		"GET /drills/{id}/progress":                         {drillURL + "/progress"},
		"GET /jobs/{name}":                                  {"/jobs/hold-sla"},
		"GET /set-password/{token}":                         {"/set-password/" + link},
		"GET /settings/tokens/{id}/revoke":                  {fmt.Sprintf("/settings/tokens/%d/revoke", tokenID)},
		"GET /settings/webhooks/{id}":                       {fmt.Sprintf("/settings/webhooks/%d", endpointID)},
		"GET /markets/{code}":                               {"/markets/IN", "/markets/PH", "/markets/VN"},
		"GET /exceptions/{id}":                              {fmt.Sprintf("/exceptions/%d", caseID)},
	}
}

// walkExceptions fails a payout after sending with the sandbox's closed
// account, and a second for a long name's beneficiary, and scans: it
// returns the first case's id.
func walkExceptions(t *testing.T, a *app) int64 {
	t.Helper()
	ctx := context.Background()
	for _, ref := range []string{"WALK-FAILED-1", "SRI-VENKATESWARA-AGRO-COLD-STORAGE-2026-11"} {
		a.addPayout(ref, payout.Processing, 2*time.Hour)
		if _, err := a.store.ApplyObservation(ctx, ref, store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "FAILED",
			Status: payout.Failed, FailureCode: sandbox.FailureCode, FailureReason: sandbox.FailureReason}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.store.ScanExceptions(ctx, a.deps.Providers.ClassifyFailure); err != nil {
		t.Fatal(err)
	}
	cases, _, err := a.store.OpenCases(ctx, store.CaseFilter{})
	if err != nil || len(cases) == 0 {
		t.Fatalf("walk cases: %v, %v", cases, err)
	}
	return cases[0].ID
}

// walkMarkets gives IN a complete live document with a few versions, and
// PH a read-only one with a proposal waiting for a second admin; VN has none.
func walkMarkets(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	admin, err := a.store.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	by := store.Actor{UserID: admin.ID, Name: admin.Email}
	in := payout.LaunchDoc{Market: "IN", Live: true, Owners: payout.Owners{PayoutSupport: "ops@example.com",
		UserRecovery: "ops@example.com", BlockedPayouts: "venkata.narasimhan@example.com", IncidentResponse: "admin@example.com"},
		TaxArtifactsRequired: new(true), ReviewThresholds: map[string]string{"INR": "200000.00"},
		HoldReasons: []payout.HoldRule{{Reason: payout.ReasonTax, UnblockEvidence: "a current Form 10F and PAN on file, " +
			"checked against the income tax department's register by compliance"}},
		Approvals: []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "1000000.00", Approvers: 2}},
		Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+1 business day by 18:00 IST",
			FeeTreatment:   "the platform bears the provider's fee; the seller statement shows it on a line of its own",
			CompletedMeans: "provider SUCCEEDED with a UTR the beneficiary's bank can trace",
			ExceptionPath: "the payout support owner contacts the beneficiary within one business day; the money stays " +
				"in the nodal account until the beneficiary's details are corrected"}}
	ph := payout.LaunchDoc{Market: "PH", Owners: payout.Owners{BlockedPayouts: "compliance@example.com"},
		TaxArtifactsRequired: new(false)}
	if _, err := a.store.ApplyMarketDocs(ctx, []payout.LaunchDoc{in, ph},
		store.ApplyOptions{AcceptUnverified: true, Reason: "launch documents for the walk"}, by); err != nil {
		t.Fatal(err)
	}
	ph.Live, ph.Owners = true, in.Owners
	ph.Settlement = in.Settlement
	if _, err := a.store.ProposeMarketDoc(ctx, ph, by, "the Philippines launch was signed off by the board"); err != nil {
		t.Fatal(err)
	}
}

// walkHolds holds payouts for every gate through the API, as the platform
// sends them, gives them owners, escalates one, adds evidence to one and
// rejects one; it returns the reference of an open one with evidence.
func walkHolds(t *testing.T, a *app) string {
	t.Helper()
	ctx := context.Background()
	owner, err := a.store.CreateUser(ctx, store.User{Email: "venkata.narasimhan@example.com",
		Name: "Venkata Lakshmi Narasimhan", Role: payout.RoleCompliance, PasswordHash: string(testHash)})
	if err != nil {
		t.Fatal(err)
	}
	setOwners(t, a, owner)
	longName := func(m map[string]any) {
		ben(m)["name"] = "Sri Venkateswara Agro Industries and Cold Storage Private Limited"
	}
	// The API's sandbox payouts are test payouts, which a read-only market
	// (PH) does not hold: the PH one is held for its tax form.
	edits := []func(map[string]any){
		bigAmount, expiredTax, func(m map[string]any) { m["market"] = "PH"; m["currency"] = "PHP"; expiredTax(m) },
		func(m map[string]any) { delete(ben(m), "ifsc") }, func(m map[string]any) { bigAmount(m); longName(m) },
		func(m map[string]any) { expiredTax(m); longName(m) },
	}
	var ids []int64
	for i, edit := range edits {
		id, _ := strconv.ParseInt(a.heldPayout(fmt.Sprintf("PAYROLL-2026-11-ACME-INDIA-%06d", 200100+i), edit), 10, 64)
		ids = append(ids, id)
	}
	by := store.Actor{Name: "compliance@example.com"}
	must := func(_ store.Hold, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	note := "Checked against the seller agreement and the bank's confirmation letter; see the contracts drive"
	must(a.store.AddEvidence(ctx, ids[0], by, note+strings.Repeat(", and annexure B", 6),
		"https://contracts.example.com/sellers/SA-2026-0044/signed-agreement-with-annexures.pdf", ""))
	must(a.store.EscalateHold(ctx, ids[1], by, note))
	must(a.store.RejectHold(ctx, ids[2], by, "Tax form expired: this seller in PH must send a new one", store.AnyShown))
	must(a.store.ReassignHold(ctx, ids[3], owner, by, note))
	return "PAYROLL-2026-11-ACME-INDIA-200100"
}

// walkDrill records a drill that failed, with its report, and returns its
// id.
func walkDrill(t *testing.T, a *app) int64 {
	t.Helper()
	ctx := context.Background()
	// One passed before, for India: its launch checklist's drill step
	// shows it (linked only for those who open drills).
	passed, err := a.store.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 200}, store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.FinishDrillRun(ctx, passed.ID, store.DrillPassed, drill.Report{Scenario: "happy", Payouts: 200,
		Converged: 41 * time.Second}, ""); err != nil {
		t.Fatal(err)
	}
	run, err := a.store.StartDrillRun(ctx, store.NewDrillRun{Scenario: "all-of-them", Payouts: 2000}, store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	report := drill.Report{Scenario: "all-of-them", Payouts: 2000, NotConverged: 2, DuplicatePostings: 0,
		Converged: 94 * time.Second, Examples: []string{
			"DRILL1-00417: payops says PROCESSING, the sandbox SUCCEEDED with UTR SBX-UTR-000417-20261102 (no webhook)",
			"DRILL1-01288: ledger has no settlement posting for the reversal of 1,250.50 INR",
		}}
	if err := a.store.FinishDrillRun(ctx, run.ID, store.DrillFailed, report, ""); err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// setOwners gives the review and tax reasons owner as their owner (the
// others have none) and every reason the compliance user as its escalation
// owner, as an admin does under Hold owners.
func setOwners(t *testing.T, a *app, owner int64) {
	t.Helper()
	ctx := context.Background()
	next, err := a.store.UserByEmail(ctx, "compliance@example.com")
	if err != nil {
		t.Fatal(err)
	}
	reasons, err := a.store.HoldReasons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var changes []store.HoldReasonChange
	for _, r := range reasons {
		c := store.HoldReasonChange{Reason: r.Reason, NextOwnerID: &next.ID, SLAMinutes: r.SLAMinutes}
		if r.Reason == payout.ReasonReview || r.Reason == payout.ReasonTax {
			c.OwnerID = &owner
		}
		changes = append(changes, c)
	}
	if err := a.store.UpdateHoldReasons(ctx, store.Actor{Name: "admin@example.com"}, changes); err != nil {
		t.Fatal(err)
	}
}

// walkSettings invites a user with a set-password link and gives the
// platform a live token beside the test one; it returns the link's token and
// the live token's id.
func walkSettings(t *testing.T, a *app) (string, int64) {
	t.Helper()
	ctx := context.Background()
	const link = "walk-set-password-link-0123456789abcdefghij" // the same each run, for the screenshots' names
	admin := store.Actor{Name: "admin@example.com"}
	_, err := a.store.AddUser(ctx, store.User{Email: "new.analyst.with.a.long.address@finance.example.com",
		Name: "Anjali Subramaniam-Krishnamurthy", Role: payout.RoleFinance}, admin,
		&store.PasswordLinkSpec{Token: link, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.store.CreateToken(ctx, store.TokenSpec{Name: "marketplace-payouts-production-eu-west",
		Scope: payout.ScopeLive}, "pot_live-token-for-the-walk-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return link, tok.ID
}

// walkEndpoints adds two outbound webhook endpoints with long URLs, one for
// every event and one for a few, disabled; it returns the first's id.
func walkEndpoints(t *testing.T, a *app) int64 {
	t.Helper()
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	all, err := a.store.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{Description: "Marketplace payouts, production",
		URL: "https://platform-webhooks.marketplace.example.com/integrations/payops/v1/events?tenant=acme-india-prod"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	few, err := a.store.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://finance.example.com/hooks/payops",
		Events: []string{payout.EventPayoutSucceeded, payout.EventPayoutReversed, payout.EventReconSignedOff}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetWebhookEndpointEnabled(ctx, few.ID, false, "moved to the new finance platform", admin); err != nil {
		t.Fatal(err)
	}
	return all.ID
}

// walkDeliveries delivers what the walk's changes wrote for endpoint id:
// refused first with a long answer, then one test event accepted.
func walkDeliveries(t *testing.T, a *app, id int64) {
	t.Helper()
	answer := `{"error":"maintenance","detail":"` + strings.Repeat("the-platform-is-down-for-maintenance-", 40) + `"}`
	deliverNow(t, a.store, &sender{status: 503, body: answer})
	if _, err := a.store.SendTestEvent(context.Background(), id, store.Actor{Name: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	deliverNow(t, a.store, &sender{status: 204})
}

// walkArchive archives a month of the audit log, fourteen months ago, into
// the app's archive folder, for the history page's list of archived months.
func walkArchive(t *testing.T, a *app) {
	t.Helper()
	if a.config.History.ArchiveDir == "" {
		return
	}
	if err := os.MkdirAll(a.config.History.ArchiveDir, 0o750); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -14, 0)
	a.store.DB().MustExec(`SELECT payops_make_partitions('audit_log', $1, $1)`, month)
	a.store.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		VALUES ('api:walk', 'payout.create', 'payout', 'WALK-ARCHIVED-1', $1)`, month.Add(time.Hour))
	part := store.Partition{Table: "audit_log", Name: "audit_log_p" + month.Format("200601"), Month: month}
	if _, err := a.store.ArchivePartition(context.Background(), part, a.config.History.ArchiveDir); err != nil {
		t.Fatal(err)
	}
}
