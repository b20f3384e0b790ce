package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"golang.org/x/crypto/bcrypt"

	"payops/adapters/sandbox"
	"payops/jobs"
	"payops/payout"
	"payops/store"
)

// demoPassword is every demo user's password.
const demoPassword = "demo"

// demoUsers sign in with demoPassword.
var demoUsers = []struct {
	email, name string
	role        payout.Role
	note        string // for the banner of make run
}{
	{"ops@example.com", "Priya Ops", payout.RoleOps, ""},
	{"finance@example.com", "Farhan Finance", payout.RoleFinance, ""},
	// Two compliance users, so four-eyes can be tried: one adds evidence to
	// a hold, the other releases it.
	{"compliance@example.com", "Chitra Compliance", payout.RoleCompliance, "   two, for four-eyes: one adds evidence"},
	{"compliance2@example.com", "Kiran Compliance", payout.RoleCompliance, "   to a hold, the other releases it"},
	{"admin@example.com", "Arjun Admin", payout.RoleAdmin, ""},
}

const demoPayouts = 300

// cmdDemo loads demo data: the five demo users, a few hundred payouts
// across providers and states (some stuck), hold owners, and a dozen payouts
// through the release gates, and the last two days reconciled. It is idempotent: payouts that
// exist are left as they are, so re-checks done in a demo survive a restart.
func cmdDemo(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	for _, u := range demoUsers {
		if _, err := s.UpsertUser(ctx, store.User{Email: u.email, Name: u.name, Role: u.role, PasswordHash: string(hash)}); err != nil {
			return err
		}
	}
	created := 0
	for _, n := range demoData(time.Now(), 42) {
		if _, err := s.CreatePayout(ctx, "demo", n); errors.Is(err, store.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		created++
	}
	policy, err := policyFrom(getenv)
	if err != nil {
		return err
	}
	if err := demoMarkets(ctx, s); err != nil {
		return err
	}
	held, err := demoHolds(ctx, s, policy, time.Now())
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(or(getenv("PAYOPS_BUSINESS_TZ"), "UTC"))
	if err != nil {
		return fmt.Errorf("PAYOPS_BUSINESS_TZ: %w", err)
	}
	days, err := demoReconciliation(ctx, s, time.Now(), loc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data: %d payouts added (%d in all), %d through the release gates, %d provider days reconciled\n",
		created, demoPayouts, held, days)
	fmt.Fprintln(stdout, "demo logins (password: demo):")
	for _, u := range demoUsers {
		fmt.Fprintf(stdout, "  %-24s %s\n", u.email, u.role)
	}
	return nil
}

// demoData builds the demo payouts from a seed, so every run builds the same.
func demoData(now time.Time, seed uint64) []store.NewPayout {
	rng := rand.New(rand.NewPCG(seed, seed))
	names := []string{"Asha Rao", "Vikram Singh", "Meera Nair", "Rohan Gupta", "Lakshmi Iyer", "Kabir Shah",
		"Sneha Kulkarni", "Arun Pillai", "Divya Menon", "Imran Qureshi", "Budi Santoso", "Siti Rahma"}
	banks := []struct{ name, ifsc string }{{"HDFC Bank", "HDFC0001234"}, {"State Bank of India", "SBIN0004567"},
		{"ICICI Bank", "ICIC0007890"}, {"Axis Bank", "UTIB0000123"}}
	out := make([]store.NewPayout, 0, demoPayouts)
	for i := range demoPayouts {
		ref := fmt.Sprintf("DEMO-%05d", i+1)
		provider := "sandbox"
		switch r := rng.IntN(100); {
		case r < 12:
			provider = "nxtbanking"
		case r < 22:
			provider = "razorpayx"
		case r < 30:
			provider = "paywize"
		case r < 38:
			provider = "xendit"
		}
		amount := payout.Money{Minor: int64(500+rng.IntN(250000)) * 100, Currency: "INR"}
		bank := banks[rng.IntN(len(banks))]
		ben := store.Beneficiary{Name: names[rng.IntN(len(names))], AccountNumber: fmt.Sprintf("%012d", rng.Int64N(1e12)),
			IFSC: bank.ifsc, BankName: bank.name}
		if provider == "xendit" {
			amount = payout.Money{Minor: int64(50_000 + rng.IntN(5_000_000)), Currency: "IDR"}
			ben.IFSC, ben.BankCode, ben.BankName = "", "BCA", "Bank Central Asia"
		}
		// The state and how long ago it last changed.
		var status payout.Status
		var age time.Duration
		switch r := rng.IntN(100); {
		case r < 52:
			status, age = payout.Succeeded, time.Duration(1+rng.IntN(72))*time.Hour
		case r < 60:
			status, age = payout.Failed, time.Duration(1+rng.IntN(72))*time.Hour
		case r < 63:
			status, age = payout.Reversed, time.Duration(24+rng.IntN(48))*time.Hour
		case r < 65:
			status, age = payout.Cancelled, time.Duration(1+rng.IntN(72))*time.Hour
		case r < 80: // stuck in PROCESSING, from a quarter hour to two days
			status, age = payout.Processing, time.Duration(15+rng.IntN(48*60))*time.Minute
		case r < 88: // stuck in QUEUED
			status, age = payout.Queued, time.Duration(12+rng.IntN(6*60))*time.Minute
		default: // open but fresh: not stuck yet
			status, age = []payout.Status{payout.Queued, payout.Processing}[rng.IntN(2)], time.Duration(rng.IntN(5))*time.Minute
		}
		// Half the queued sandbox payouts have not been sent yet: the
		// submission worker sends them when payops starts. The other
		// providers' are all sent (they are not configured in the demo).
		ppid := ""
		if status != payout.Queued || provider != "sandbox" || rng.IntN(2) == 0 {
			ppid = providerID(provider, ref)
		}
		n := store.NewPayout{
			ReferenceID: ref, Provider: provider, ProviderPayoutID: ppid, Amount: amount,
			Mode: []string{"IMPS", "NEFT", "RTGS"}[rng.IntN(3)], Narration: "Seller settlement (demo)", Status: status,
			Beneficiary: ben, CreatedAt: now.Add(-age), Test: !payout.Livemode(provider),
		}
		if status == payout.Failed {
			f := demoFailures[provider][rng.IntN(len(demoFailures[provider]))]
			n.FailureCode, n.FailureReason = f[0], f[1]
		}
		out = append(out, n)
	}
	return out
}

// demoFailures are failure codes and words each provider gives (its seed's;
// NxtBanking and Paywize give words only), so the demo's failed payouts are
// classified on /exceptions as real ones would be.
var demoFailures = map[string][][2]string{
	"sandbox":    {{sandbox.FailureCode, sandbox.FailureReason}},
	"nxtbanking": {{"", "Beneficiary bank declined the credit"}},
	"paywize":    {{"", "Transaction failed at beneficiary bank"}},
	"razorpayx":  {{"insufficient_funds", "Insufficient balance in the business account"}, {"beneficiary_bank_down", "Beneficiary bank is down"}},
	"xendit": {{"INVALID_DESTINATION", "The destination account does not exist"}, {"INSUFFICIENT_BALANCE", "Not enough balance"},
		{"TEMPORARY_TRANSFER_ERROR", "Temporary error at the bank network"}},
}

// providerID invents a plausible provider payout id; the sandbox's are the
// ids it would have given, so re-checks against it answer.
func providerID(provider, ref string) string {
	switch provider {
	case "sandbox":
		return sandbox.PayoutIDFor(ref)
	case "razorpayx":
		return "pout_" + ref[5:] + "Demo"
	case "xendit":
		return "disb-" + ref
	default:
		return "pay_" + ref
	}
}

// demoOwners are the default owners of each hold reason in the demo, and
// whom each escalates to, by email.
// Only ops and compliance may work holds (payout.ActWorkHolds), so they
// own them all: the second compliance officer is the escalation owner of
// the first's.
var demoOwners = map[payout.Reason][2]string{
	payout.ReasonBeneficiary:  {"ops@example.com", "compliance@example.com"},
	payout.ReasonTax:          {"compliance@example.com", "compliance2@example.com"},
	payout.ReasonReview:       {"compliance@example.com", "compliance2@example.com"},
	payout.ReasonMarket:       {"compliance@example.com", "compliance2@example.com"},
	payout.ReasonFunding:      {"ops@example.com", "compliance@example.com"},
	payout.ReasonManualReview: {"ops@example.com", "compliance@example.com"},
}

// demoHolds sets the hold owners an admin has not set yet, then sends a
// dozen payouts through the same intake as the API: some pass and wait for
// the submission worker, the others are held by the gates, a few of them
// for long enough to be overdue. It returns how many payouts it added.
func demoHolds(ctx context.Context, s *store.Store, policy payout.Policy, now time.Time) (int, error) {
	if err := demoHoldOwners(ctx, s); err != nil {
		return 0, err
	}
	if err := demoClassOwners(ctx, s); err != nil {
		return 0, err
	}
	type demo struct {
		ref    string
		amount int64 // paise
		market string
		tax    payout.TaxArtifact
		ifsc   string
		age    time.Duration // how long ago it came in (and its holds were placed)
	}
	demos := []demo{
		{"DEMO-API-01", 1_850_00, "IN", payout.TaxPresent, "HDFC0001234", 0},
		{"DEMO-API-02", 42_000_00, "IN", payout.TaxPresent, "SBIN0004567", 0},
		{"DEMO-API-03", 7_500_00, "IN", payout.TaxPresent, "ICIC0007890", 0},
		{"DEMO-API-04", 3_25_000_00, "IN", payout.TaxPresent, "HDFC0001234", 2 * time.Hour},
		{"DEMO-API-05", 12_40_000_00, "IN", payout.TaxPresent, "UTIB0000123", 10 * time.Hour},
		{"DEMO-API-06", 18_000_00, "IN", payout.TaxMissing, "SBIN0004567", 20 * time.Hour},
		{"DEMO-API-07", 9_999_00, "IN", payout.TaxExpired, "HDFC0001234", 80 * time.Hour},
		{"DEMO-API-08", 64_500_00, "IN", payout.TaxUnderReview, "ICIC0007890", 30 * time.Minute},
		{"DEMO-API-09", 5_000_00, "IN", payout.TaxPresent, "", 3 * time.Hour},
		{"DEMO-API-10", 2_75_000_00, "IN", payout.TaxExpired, "UTIB0000123", time.Hour},
		{"DEMO-API-11", 15_000_00, "PH", payout.TaxPresent, "HDFC0001234", 26 * time.Hour},
		{"DEMO-API-12", 22_000_00, "IN", payout.TaxPresent, "SBIN0004567", 0},
		// An IFSC of no branch: the sandbox fails it with INVALID_IFSC once
		// sent, and an exception case offers to send it again corrected.
		{"DEMO-API-13", 4_200_00, "IN", payout.TaxPresent, sandbox.NoBranch + "0001234", 0},
	}
	names := []string{"Asha Rao", "Vikram Singh", "Meera Nair", "Rohan Gupta", "Lakshmi Iyer", "Kabir Shah"}
	added := 0
	for i, d := range demos {
		// The sandbox's payouts are test payouts, which a read-only market
		// does not hold: the PH one is a live payout (RazorpayX's, never
		// sent while PH is read-only), so the demo shows market_read_only.
		provider := "sandbox"
		if d.market == "PH" {
			provider = "razorpayx"
		}
		req := payout.Request{ReferenceID: d.ref, Provider: provider, AmountMinor: d.amount, Currency: "INR",
			Mode: "IMPS", Narration: "Seller settlement (demo)", Market: d.market, Metadata: []byte(`{"seller":"demo"}`),
			Beneficiary: payout.Beneficiary{Name: names[i%len(names)], AccountNumber: fmt.Sprintf("5010%08d", 1000+i*7919),
				IFSC: d.ifsc, BankName: "Demo Bank", TaxArtifact: d.tax}}
		// As of when it came in: created, then its gates evaluated and its
		// holds placed with their evidence, all at that moment.
		var at time.Time
		if d.age > 0 {
			at = now.Add(-d.age)
		}
		created, err := s.IntakeAt(ctx, req, policy, store.Actor{Name: "api:demo"}, at)
		if err != nil {
			return added, err
		}
		if created {
			added++
		}
	}
	return added, nil
}

// demoLaunchDocs are the demo's launch documents: IN is live (its checklist
// accepted unverified: the demo has no drill run yet), PH is read-only, its
// document still missing its settlement path.
const demoLaunchDocs = `[
{"market":"IN","program":"default","live":true,"owners":{"payout_support":"ops@example.com",
 "user_recovery":"ops@example.com","blocked_payouts":"compliance@example.com","incident_response":"admin@example.com"},
 "tax_artifacts_required":true,"review_thresholds":{"INR":"200000.00"},
 "hold_reasons":[{"reason":"tax_artifact","unblock_evidence":"a current tax artifact on file"},
  {"reason":"review_threshold","unblock_evidence":"a compliance note on the source of funds"}],
 "approvals":[{"currency":"INR","at_or_above":"1000000.00","approvers":2}],
 "settlement":{"rail":"fiat","posting_window":"T+1 business day by 18:00 IST","fee_treatment":"platform bears the fee",
  "completed_means":"provider SUCCEEDED with UTR","exception_path":"ops owner contacts the beneficiary within 1 business day"}},
{"market":"PH","program":"default","owners":{"payout_support":"ops@example.com","user_recovery":"ops@example.com",
 "blocked_payouts":"compliance@example.com","incident_response":"admin@example.com"},"tax_artifacts_required":true}
]`

// demoMarkets loads the demo's launch documents for markets that have
// none yet (or only the upgrade's), so changes made in a demo survive a
// restart.
func demoMarkets(ctx context.Context, s *store.Store) error {
	docs, err := payout.ParseLaunchDocs([]byte(demoLaunchDocs))
	if err != nil {
		return err
	}
	var missing []payout.LaunchDoc
	for _, d := range docs {
		h, err := s.MarketHistory(ctx, d.Market, d.Program)
		if err != nil {
			return err
		}
		// Only the upgrade's version: a demo database from before launch
		// documents, where PH was read-only by configuration.
		if len(h) == 0 || (len(h) == 1 && h[0].ChangedBy == store.UpgradeActor) {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = s.ApplyMarketDocs(ctx, missing, store.ApplyOptions{AcceptUnverified: true, Reason: "demo data"},
		store.Actor{Name: "demo"})
	return err
}

// demoHoldOwners sets the demo's owners of the hold reasons an admin has not
// given both owners yet (an escalation owner emptied because their role may
// not work holds is set again).
func demoHoldOwners(ctx context.Context, s *store.Store) error {
	reasons, err := s.HoldReasons(ctx)
	if err != nil {
		return err
	}
	for _, r := range reasons {
		owners, ok := demoOwners[r.Reason]
		if !ok || r.OwnerID != nil && r.NextOwnerID != nil {
			continue
		}
		owner, err := s.UserByEmail(ctx, owners[0])
		if err != nil {
			return err
		}
		next, err := s.UserByEmail(ctx, owners[1])
		if err != nil {
			return err
		}
		change := store.HoldReasonChange{Reason: r.Reason, OwnerID: &owner.ID, NextOwnerID: &next.ID, SLAMinutes: r.SLAMinutes}
		if err := s.UpdateHoldReasons(ctx, store.Actor{Name: "demo"}, []store.HoldReasonChange{change}); err != nil {
			return err
		}
	}
	return nil
}

// demoClasses are who owns a failed payout's case by its failure class in
// the demo, by email: a funding failure is finance's, a refused credential
// an admin's, a closed or wrong account ops' (who contact the beneficiary;
// the sandbox's failures are of this class); the rest go to the kind's
// owner, or a stand-in.
var demoClasses = map[payout.FailureClass]string{
	payout.FailFunding:     "finance@example.com",
	payout.FailAuth:        "admin@example.com",
	payout.FailBeneficiary: "ops@example.com",
}

// demoClassOwners names the demo's failure class owners when no class's
// owner was ever set (an admin's own choice, even none, is left alone).
func demoClassOwners(ctx context.Context, s *store.Store) error {
	if set, err := s.ClassOwnersEverSet(ctx); err != nil || set {
		return err
	}
	classes := map[payout.FailureClass]*int64{}
	for class, email := range demoClasses {
		u, err := s.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		classes[class] = &u.ID
	}
	return s.UpdateCaseKinds(ctx, store.Actor{Name: "demo"}, nil, classes)
}

// demoReconciliation reconciles the two days before today as finance would
// have, from settlement reports made of the demo's own live payouts: the
// older day of NxtBanking ties and is signed off; yesterday each provider's
// report has a few differences for finance to work. The sandbox's payouts
// are test payouts, which move no money and are never reconciled. Days
// reconciled already are left as they are. It returns how many days it
// reconciled.
func demoReconciliation(ctx context.Context, s *store.Store, now time.Time, loc *time.Location) (int, error) {
	today, _, _ := jobs.BusinessDay(now, loc)
	finance := store.Actor{Name: "finance@example.com"}
	done := 0
	for back := 2; back >= 1; back-- {
		date := today.AddDate(0, 0, -back)
		start, end := jobs.DayBounds(date, loc)
		for _, provider := range []string{"nxtbanking", "razorpayx", "xendit"} {
			versions, err := s.ReconVersions(ctx, provider, date)
			if err != nil {
				return done, err
			}
			if len(versions) > 0 {
				continue
			}
			records, err := s.DaySent(ctx, provider, start, end)
			if err != nil {
				return done, err
			}
			if back == 1 && len(records) >= 3 {
				records[1].Amount.Minor += 100 // the provider paid one rupee (or rupiah) more
				if records[2].Status == payout.Processing {
					records[2].Status = payout.Succeeded // a webhook lost
				} else {
					records[2].Status = payout.Reversed
				}
				extra := records[0]
				extra.ProviderPayoutID, extra.ReferenceID = extra.ProviderPayoutID+"-X", "" // a payout payops never asked for
				records = append(records[1:], extra)                                        // and one it did, not reported
			}
			run, err := s.Reconcile(ctx, provider, date, start, end, "upload", finance.Name, records, false)
			if err != nil {
				return done, err
			}
			done++
			if back == 2 && provider == "nxtbanking" && run.OpenDiffs == 0 {
				if _, err := s.SignOff(ctx, run.ID, finance); err != nil {
					return done, err
				}
			}
		}
	}
	return done, nil
}
