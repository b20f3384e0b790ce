package sandbox_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
)

func TestBalanceIsSpentAndRefusesMore(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s", Balance: "1000.00"})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: "s", Balance: true})
	pay := func(ref string, minor int64) error {
		_, err := c.Submit(ctx, adapters.Payout{ReferenceID: ref, Amount: payout.Money{Minor: minor, Currency: "INR"},
			Mode: "IMPS", Beneficiary: adapters.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}})
		return err
	}
	if err := pay("SB-BAL-1", 60000); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Balance(ctx); err != nil || got.Minor != 40000 || got.Currency != "INR" {
		t.Fatalf("balance %v %v, want ₹400.00", got, err)
	}
	if err := pay("SB-BAL-2", 60000); adapters.KindOf(err) != adapters.InsufficientFunds {
		t.Fatalf("a payout over the balance: %v, want insufficient funds", err)
	}
	sb.SetBalance(1_000_000)
	if err := pay("SB-BAL-2", 60000); err != nil {
		t.Fatalf("after funding: %v", err)
	}
	plain := nxtbanking.NewClient(nxtbanking.Config{Name: "nxtbanking", BaseURL: srv.URL})
	if _, ok := (adapters.Registry{"nxtbanking": plain}).Balancer("nxtbanking"); ok {
		t.Error("NxtBanking has a balance call though its seed documents none")
	}
}
