package store_test

import (
	"context"
	"testing"

	"payops/migrations"
)

// Migration 00055 gives the holds a provider's answer closed (recorded
// 'released' before) the state 'closed'; a compliance user's release, and
// one without a user whose note is another's, stay released.
func TestTheUpgradeClosesTheHoldsAProviderClosed(t *testing.T) {
	s := storeAt(t, 54)
	db := s.DB()
	var user, ben, p int64
	db.QueryRow(`INSERT INTO users (email, name, role, password_hash) VALUES ('c@example.com', 'C', 'compliance', 'x')
		RETURNING id`).Scan(&user)
	db.QueryRow(`INSERT INTO beneficiaries (name, account_number) VALUES ('Asha Rao', '123456789012') RETURNING id`).Scan(&ben)
	if err := db.QueryRow(`INSERT INTO payouts (reference_id, provider, amount_minor, currency, status, beneficiary_id)
		VALUES ('UP-55', 'sandbox', 100000, 'INR', 'SUCCEEDED', $1) RETURNING id`, ben).Scan(&p); err != nil {
		t.Fatal(err)
	}
	for _, h := range []struct {
		reason, by, note string
		user             *int64
	}{
		{"review_threshold", "C", "checked the seller's documents", &user},
		{"tax_artifact", "sandbox-webhook",
			"sandbox answered about the payout (SUCCEEDED): it has it, so the hold could no longer stop it", nil},
		{"beneficiary", "admin (cli)", "released from the command line", nil},
	} {
		db.MustExec(`INSERT INTO holds (payout_id, reason, detail, placed_by, sla_due_at, state, decided_by,
			decided_by_user_id, decided_at, decision_note)
			VALUES ($1, $2, 'held', 'api:t', now(), 'released', $3, $4, now(), $5)`, p, h.reason, h.by, h.user, h.note)
	}
	if _, err := migrations.UpTo(context.Background(), db.DB, 55); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	rows, err := db.Query(`SELECT reason, state FROM holds WHERE payout_id = $1`, p)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var reason, state string
		if err := rows.Scan(&reason, &state); err != nil {
			t.Fatal(err)
		}
		states[reason] = state
	}
	want := map[string]string{"review_threshold": "released", "tax_artifact": "closed", "beneficiary": "released"}
	for reason, st := range want {
		if states[reason] != st {
			t.Errorf("%s hold is %q after the upgrade, want %q (all: %v)", reason, states[reason], st, states)
		}
	}
	if _, err := db.Exec(`UPDATE holds SET state = 'withdrawn' WHERE payout_id = $1`, p); err == nil {
		t.Error("a state outside open, released, rejected and closed was taken")
	}
}
