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
	"payops/payout"
	"payops/store"
)

// demoUsers sign in with the password "demo".
var demoUsers = []struct {
	email, name string
	role        payout.Role
}{
	{"ops@example.com", "Priya Ops", payout.RoleOps},
	{"finance@example.com", "Farhan Finance", payout.RoleFinance},
	{"compliance@example.com", "Chitra Compliance", payout.RoleCompliance},
	{"admin@example.com", "Arjun Admin", payout.RoleAdmin},
}

const demoPayouts = 300

// cmdDemo loads demo data: the four demo users and a few hundred payouts
// across providers and states, some stuck. It is idempotent: payouts that
// exist are left as they are, so re-checks done in a demo survive a restart.
func cmdDemo(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := openStore(getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("demo"), bcrypt.DefaultCost)
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
	fmt.Fprintf(stdout, "demo data: %d payouts added (%d in all)\n", created, demoPayouts)
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
		ppid := ""
		if status != payout.Queued || rng.IntN(2) == 0 {
			ppid = providerID(provider, ref)
		}
		out = append(out, store.NewPayout{
			ReferenceID: ref, Provider: provider, ProviderPayoutID: ppid, Amount: amount,
			Mode: []string{"IMPS", "NEFT", "RTGS"}[rng.IntN(3)], Narration: "Seller settlement (demo)", Status: status,
			Beneficiary: ben, CreatedAt: now.Add(-age),
		})
	}
	return out
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
