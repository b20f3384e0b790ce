package payout

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// issueExample is the launch document of issue 17, as written there.
const issueExample = `{"market":"IN","program":"default","live":true,"owners":{"payout_support":"ops@example.com",
"user_recovery":"ops@example.com","blocked_payouts":"compliance@example.com","incident_response":"admin@example.com"},
"tax_artifacts_required":true,"review_thresholds":{"INR":"200000.00"},"approvals":[{"currency":"INR",
"at_or_above":"1000000.00","approvers":2}],"settlement":{"rail":"fiat","posting_window":"T+1 by 18:00 IST",
"fee_treatment":"platform bears the fee","completed_means":"provider SUCCEEDED with UTR","exception_path":
"ops owner contacts the beneficiary within 1 business day"}}`

func TestParseLaunchDocsExample(t *testing.T) {
	docs, err := ParseLaunchDocs([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1", len(docs))
	}
	d := docs[0]
	if d.Key() != "IN/default" || !d.Live || !d.Complete() || !d.IsLive() {
		t.Errorf("got %s live=%v complete=%v, want IN/default live and complete", d.Key(), d.Live, d.Complete())
	}
	if got, want := d.Owners.BlockedPayouts, "compliance@example.com"; got != want {
		t.Errorf("blocked_payouts = %q, want %q", got, want)
	}
	if got, want := d.Thresholds()["INR"], (Money{Minor: 20000000, Currency: "INR"}); got != want {
		t.Errorf("INR threshold = %v, want %v", got, want)
	}
	if err := d.CheckLive(); err != nil {
		t.Errorf("CheckLive = %v, want nil", err)
	}
	for _, tt := range []struct {
		minor int64
		cur   string
		want  int
	}{{99999999, "INR", 0}, {100000000, "INR", 2}, {500000000, "INR", 2}, {100000000, "IDR", 0}} {
		if got := d.ApprovalsNeeded(Money{Minor: tt.minor, Currency: tt.cur}); got != tt.want {
			t.Errorf("ApprovalsNeeded(%d %s) = %d, want %d", tt.minor, tt.cur, got, tt.want)
		}
	}
}

func TestParseLaunchDocsArrayAndCanonicalAmounts(t *testing.T) {
	docs, err := ParseLaunchDocs([]byte(`[{"market":"IN","review_thresholds":{"INR":"200000"}},
		{"market":"ID","program":"sellers","approvals":[{"currency":"IDR","at_or_above":"5000000","approvers":1}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docs[0].Key(), "IN/default"; got != want {
		t.Errorf("first key = %q, want %q (the default program)", got, want)
	}
	if got, want := docs[0].ReviewThresholds["INR"], "200000.00"; got != want {
		t.Errorf("threshold written %q, want %q", got, want)
	}
	if docs[1].Complete() || docs[1].IsLive() {
		t.Errorf("ID/sellers has no owners nor settlement: it is not complete")
	}
}

func TestParseLaunchDocsNamesTheField(t *testing.T) {
	tests := []struct {
		name, json, field string
	}{
		{"empty", ``, "document"},
		{"not json", `{"market":`, "document"},
		{"bad market", `{"market":"India"}`, "market"},
		{"bad program", `{"market":"IN","program":"Sellers!"}`, "program"},
		{"bad owner", `{"market":"IN","owners":{"blocked_payouts":"compliance"}}`, "owners.blocked_payouts"},
		{"unknown field", `{"market":"IN","ownerz":{}}`, "ownerz"},
		{"float amount", `{"market":"IN","review_thresholds":{"INR":200000.5}}`, "review_thresholds"},
		{"too many decimals", `{"market":"IN","review_thresholds":{"INR":"1.234"}}`, "review_thresholds.INR"},
		{"unknown currency", `{"market":"IN","review_thresholds":{"XXX":"1"}}`, "review_thresholds.XXX"},
		{"three approvers", `{"market":"IN","approvals":[{"currency":"INR","at_or_above":"1","approvers":3}]}`,
			"approvals[0].approvers"},
		{"approval currency", `{"market":"IN","approvals":[{"currency":"ABC","at_or_above":"1","approvers":1}]}`,
			"approvals[0].currency"},
		{"approval amount", `{"market":"IN","approvals":[{"currency":"INR","at_or_above":"-1","approvers":1}]}`,
			"approvals[0].at_or_above"},
		{"two rules for a currency", `{"market":"IN","approvals":[{"currency":"INR","at_or_above":"1","approvers":1},
			{"currency":"INR","at_or_above":"2","approvers":2}]}`, "approvals[1].currency"},
		{"bad rail", `{"market":"IN","settlement":{"rail":"carrier pigeon"}}`, "settlement.rail"},
		{"bad gate", `{"market":"IN","gates":["manual_review"]}`, "gates[0]"},
		{"approvals without the review gate", `{"market":"IN","gates":["tax_artifact"],
			"approvals":[{"currency":"INR","at_or_above":"1","approvers":2}]}`, "approvals"},
		{"thresholds without the review gate", `{"market":"IN","gates":["tax_artifact"],
			"review_thresholds":{"INR":"1"}}`, "review_thresholds"},
		{"tax required without the tax gate", `{"market":"IN","gates":["review_threshold"],
			"tax_artifacts_required":true}`, "tax_artifacts_required"},
		{"hold reason without evidence", `{"market":"IN","hold_reasons":[{"reason":"tax_artifact"}]}`,
			"hold_reasons[0].unblock_evidence"},
		{"unknown hold reason", `{"market":"IN","hold_reasons":[{"reason":"vibes","unblock_evidence":"x"}]}`,
			"hold_reasons[0].reason"},
		{"NUL in a note", `{"market":"IN","settlement":{"posting_window":"T+1\u0000"}}`, "document"},
		{"NUL in an owner", `{"market":"IN","owners":{"payout_support":"a\u0000@x.io"}}`, "document"},
		{"same market twice", `[{"market":"IN"},{"market":"IN","program":"default"}]`, "market"},
		{"second document bad", `[{"market":"IN"},{"market":"ph"}]`, "market"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLaunchDocs([]byte(tt.json))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
	_, err := ParseLaunchDocs([]byte(`[{"market":"IN"},{"market":"ph"}]`))
	if !strings.HasPrefix(err.Error(), "document 2: market:") {
		t.Errorf("err = %q, want it to name document 2", err)
	}
}

func TestCheckLive(t *testing.T) {
	docs, err := ParseLaunchDocs([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	noOwner := docs[0]
	noOwner.Owners.BlockedPayouts = ""
	noSettlement := docs[0]
	noSettlement.Settlement = Settlement{}
	notLive := noSettlement
	notLive.Live = false
	tests := []struct {
		name  string
		doc   LaunchDoc
		field string // "" for no error
	}{
		{"complete", docs[0], ""},
		{"owner missing", noOwner, "owners.blocked_payouts"},
		{"no settlement path", noSettlement, "settlement.rail"},
		{"incomplete but not asking to be live", notLive, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.doc.CheckLive()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CheckLive = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("CheckLive = %v, want a field error on %s", err, tt.field)
			}
		})
	}
	if got := noSettlement.Missing(); len(got) != 5 || got[0] != "settlement.rail" {
		t.Errorf("Missing = %v, want the five settlement fields", got)
	}
}

func TestChecklist(t *testing.T) {
	docs, err := ParseLaunchDocs([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	fresh := DrillProof{RunID: 7, Scenario: "lost-webhooks", Provider: "sandbox", PassedAt: now.Add(-10 * 24 * time.Hour)}
	stale := DrillProof{RunID: 3, Scenario: "lost-webhooks", Provider: "sandbox", PassedAt: now.Add(-31 * 24 * time.Hour)}
	other := DrillProof{RunID: 9, Scenario: "lost-webhooks", Provider: "xendit", PassedAt: now.Add(-time.Hour)}
	calm := DrillProof{RunID: 8, Scenario: "happy", Provider: DrillProvider, PassedAt: now.Add(-time.Hour)}
	signed := SignOffProof{RunID: 11, Provider: "sandbox", Day: now.AddDate(0, 0, -2), SignedOffAt: now.AddDate(0, 0, -1)}
	empty := LaunchDoc{Market: "PH", Program: DefaultProgram}
	tests := []struct {
		name   string
		doc    LaunchDoc
		ev     LaunchEvidence
		passed []bool
	}{
		{"all evidence", docs[0], LaunchEvidence{Now: now, Providers: []string{"sandbox"}, Drills: []DrillProof{stale, fresh},
			SignOffs: []SignOffProof{signed}}, []bool{true, true, true, true, true, true}},
		{"stale drill, another provider's drill", docs[0], LaunchEvidence{Now: now, Providers: []string{"sandbox"},
			Drills: []DrillProof{stale, other}, SignOffs: []SignOffProof{signed}}, []bool{true, true, true, false, true, true}},
		{"no provider yet", docs[0], LaunchEvidence{Now: now, Drills: []DrillProof{fresh}, SignOffs: []SignOffProof{signed}},
			[]bool{true, true, true, false, false, true}},
		{"the drill provider stands in for every provider", docs[0], LaunchEvidence{Now: now, Providers: []string{"xendit"},
			Drills: []DrillProof{{RunID: 5, Scenario: "out-of-order", Provider: DrillProvider, PassedAt: now.Add(-time.Hour)}}},
			[]bool{true, true, true, true, false, true}},
		{"a drill that disrupts no webhook", docs[0], LaunchEvidence{Now: now, Providers: []string{"sandbox"},
			Drills: []DrillProof{calm}, SignOffs: []SignOffProof{signed}}, []bool{true, true, true, false, true, true}},
		{"empty document", empty, LaunchEvidence{Now: now}, []bool{false, false, true, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cps := Checklist(tt.doc, tt.ev)
			if len(cps) != 6 {
				t.Fatalf("got %d checkpoints, want 6", len(cps))
			}
			want := 0
			for i, c := range cps {
				if c.Step != i+1 {
					t.Errorf("checkpoint %d has step %d", i+1, c.Step)
				}
				if c.Passed != tt.passed[i] {
					t.Errorf("checkpoint %d %q passed=%v (%s), want %v", c.Step, c.Name, c.Passed, c.Evidence, tt.passed[i])
				}
				if tt.passed[i] {
					want++
				}
			}
			if got := Ready(cps); got != want {
				t.Errorf("Ready = %d, want %d", got, want)
			}
		})
	}
	cps := Checklist(docs[0], LaunchEvidence{Now: now, Providers: []string{"sandbox"}, Drills: []DrillProof{stale, fresh},
		SignOffs: []SignOffProof{signed}})
	if cps[3].DrillID != 7 || cps[4].ReconID != 11 {
		t.Errorf("drill %d, recon %d, want the fresh drill 7 and the signed-off run 11", cps[3].DrillID, cps[4].ReconID)
	}
}

func TestDiffDocs(t *testing.T) {
	docs, err := ParseLaunchDocs([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	old := docs[0]
	if got := DiffDocs(old, old); len(got) != 0 {
		t.Errorf("a document against itself differs: %v", got)
	}
	changed, err := ParseLaunchDocs([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	next := changed[0]
	next.Owners.BlockedPayouts = "compliance2@example.com"
	next.Approvals[0].Approvers = 1
	next.ReviewThresholds["USD"] = "5000.00"
	next.Settlement.ExceptionPath = ""
	got := DiffDocs(old, next)
	want := []Change{
		{"approvals[0].approvers", "2", "1"},
		{"owners.blocked_payouts", "compliance@example.com", "compliance2@example.com"},
		{"review_thresholds.USD", "", "5000.00"},
		{"settlement.exception_path", "ops owner contacts the beneficiary within 1 business day", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("DiffDocs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestProposalFourEyes(t *testing.T) {
	if got := ProposalFourEyes(1, 2); got != "" {
		t.Errorf("another admin: %q, want allowed", got)
	}
	if got := ProposalFourEyes(1, 1); got == "" {
		t.Errorf("the proposer approving their own change is allowed, want refused")
	}
}

func TestMarketCodes(t *testing.T) {
	if got := MarketCodes(" PH,Philippines , vn,ph,,IND"); !slices.Equal(got, []string{"PH", "VN"}) {
		t.Errorf("MarketCodes = %v, want [PH VN]", got)
	}
	if got := MarketCodes(""); len(got) != 0 {
		t.Errorf("MarketCodes of nothing = %v", got)
	}
}
