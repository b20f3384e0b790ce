package store_test

import (
	"context"
	"strings"
	"testing"

	"payops/migrations"
	"payops/payout"
	"payops/store"
)

// upgraded returns a store on a database migrated to 00029 (before launch
// documents), given users and payouts in IN and PH by before, then upgraded.
func upgraded(t *testing.T, before func(s *store.Store)) *store.Store {
	t.Helper()
	ctx := context.Background()
	s := storeAt(t, 29)
	before(s)
	// Written as the schema of version 29 has them (today's CreatePayout
	// writes columns later migrations add).
	var benID int64
	if err := s.DB().Get(&benID, `INSERT INTO beneficiaries (name, account_number, ifsc)
		VALUES ('Asha Rao', '123456789012', 'HDFC0001234') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for i, market := range []string{"IN", "PH", "IN"} {
		_, err := s.DB().Exec(`INSERT INTO payouts (reference_id, provider, amount_minor, currency, status, market,
			beneficiary_id) VALUES ($1, 'sandbox', 100000, 'INR', 'SUCCEEDED', $2, $3)`,
			"OLD-"+string(rune('1'+i)), market, benID)
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := migrations.Up(ctx, s.DB().DB); err != nil || n == 0 {
		t.Fatalf("upgrade: %d migrations, %v", n, err)
	}
	return s
}

func TestTheUpgradeKeepsMarketsWithPayoutsLive(t *testing.T) {
	ctx := context.Background()
	var first int64
	s := upgraded(t, func(s *store.Store) {
		users := []store.User{{Email: "old-admin@example.com", Role: payout.RoleAdmin}, {Email: "ops@example.com", Role: payout.RoleOps},
			{Email: "admin@example.com", Role: payout.RoleAdmin}, {Email: "admin2@example.com", Role: payout.RoleAdmin}}
		for i, u := range users {
			u.Name, u.PasswordHash = u.Email, "x"
			id, err := s.CreateUser(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				first = id
			}
		}
		// Disabled as the schema of the time could (today's DisableUser
		// also hands back cases, a later table).
		s.DB().MustExec(`UPDATE users SET disabled_at = now() WHERE email = 'old-admin@example.com'`)
	})
	docs, err := s.Markets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Market != "IN" || docs[1].Market != "PH" {
		t.Fatalf("markets after the upgrade: %+v, want IN and PH", docs)
	}
	for _, m := range docs {
		doc, err := m.Doc()
		if err != nil {
			t.Fatal(err)
		}
		if !m.Live || m.Version != 1 || m.ChangedBy != "upgrade" || !strings.HasPrefix(m.Reason, "created by the upgrade") {
			t.Errorf("%s: live %v v%d by %q (%q), want live v1 created by the upgrade", m.Market, m.Live, m.Version, m.ChangedBy, m.Reason)
		}
		for _, o := range doc.Owners.List() {
			if o.Email != "admin@example.com" {
				t.Errorf("%s: owner %s is %q, want the first active admin", m.Market, o.Field, o.Email)
			}
		}
	}
	// Upgrading stops nothing: a payout to PH is queued as before.
	if p, holds := intakeIn(t, s, "NEW-1", "PH", 100000); p.Status != payout.Queued || len(holds) != 0 {
		t.Errorf("a payout to PH after the upgrade: %s %v, want QUEUED", p.Status, holds)
	}
	reasons, err := s.HoldReasons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reasons {
		if r.Reason == payout.ReasonMarket && (r.OwnerID == nil || *r.OwnerID != first) {
			t.Errorf("market_read_only owner %v, want the first active admin %d", r.OwnerID, first)
		}
	}
}

func TestTheUpgradeWithoutUsersLeavesOwnersEmptyButLive(t *testing.T) {
	s := upgraded(t, func(*store.Store) {})
	docs, err := s.Markets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("markets after the upgrade: %+v, want IN and PH", docs)
	}
	for _, m := range docs {
		doc, err := m.Doc()
		if err != nil {
			t.Fatal(err)
		}
		if !m.Live || len(doc.Owners.List()) != 4 || doc.Owners.BlockedPayouts != "" || !strings.Contains(m.Reason, "no admin") {
			t.Errorf("%s: live %v owners %+v (%q), want live without owners, noted", m.Market, m.Live, doc.Owners, m.Reason)
		}
	}
}

// A market PAYOPS_READ_ONLY_MARKETS still lists at the first start after the
// upgrade goes back to read-only (it was never paid); the others stay live,
// and a restart with the setting still there changes nothing more, nor does
// it stop a market paid since the upgrade.
func TestTheUpgradeKeepsTheSettingsReadOnlyMarketsReadOnly(t *testing.T) {
	ctx := context.Background()
	s := upgraded(t, func(s *store.Store) {
		if _, err := s.CreateUser(ctx, store.User{Email: "admin@example.com", Name: "Admin", Role: payout.RoleAdmin,
			PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	})
	kept, err := s.KeepReadOnlyAfterUpgrade(ctx, payout.MarketCodes("ph, Philippines,VN"))
	if err != nil || len(kept) != 1 || kept[0] != "PH" {
		t.Fatalf("kept read-only %v %v, want PH (VN has no document, Philippines is no code)", kept, err)
	}
	if p, holds := intakeIn(t, s, "NEW-PH", "PH", 100000); p.Status != payout.Held || holds[payout.ReasonMarket].ID == 0 {
		t.Errorf("a payout to PH: %s %v, want HELD for market_read_only", p.Status, holds)
	}
	if p, _ := intakeIn(t, s, "NEW-IN", "IN", 100000); p.Status != payout.Queued {
		t.Errorf("a payout to IN: %s, want QUEUED", p.Status)
	}
	h, err := s.MarketHistory(ctx, "PH", payout.DefaultProgram)
	if err != nil || len(h) != 2 || h[0].Live || h[0].ChangedBy != store.UpgradeActor ||
		!strings.Contains(h[0].Reason, "PAYOPS_READ_ONLY_MARKETS") {
		t.Fatalf("PH's history %+v %v, want a second, read-only version by the upgrade naming the setting", h, err)
	}
	if kept, err := s.KeepReadOnlyAfterUpgrade(ctx, []string{"PH", "IN"}); err != nil || len(kept) != 0 {
		t.Errorf("again with IN listed too: %v %v, want none (PH has a version of its own now, IN has been paid since)",
			kept, err)
	}
	if h, _ := s.MarketHistory(ctx, "PH", payout.DefaultProgram); len(h) != 2 {
		t.Errorf("PH's history grew to %d versions on a restart", len(h))
	}
}
