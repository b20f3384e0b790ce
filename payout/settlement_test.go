package payout

import (
	"strings"
	"testing"
	"time"
)

func TestParseSettlement(t *testing.T) {
	good := "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n" +
		"pp-1,R1,1250.00,INR,SUCCESS,5.00,2026-11-20T10:00:00Z\n" +
		",R2,99,IDR,failed,,\n" +
		"pp-3,,10.5,usd,REVERSED,0.25,2026-11-20 11:00:00\n"
	recs, err := ParseSettlement(strings.NewReader(good), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Amount.Minor != 125000 || *recs[0].Fee != 500 || recs[0].Status != Succeeded ||
		recs[1].Fee != nil || recs[1].Status != Failed || recs[1].Amount.Minor != 99 ||
		recs[2].Amount != (Money{Minor: 1050, Currency: "USD"}) || recs[2].SettledAt == nil {
		t.Fatalf("records %+v", recs)
	}
	bad := []struct{ file, want string }{
		{"", "the file is empty"},
		{"id,ref,amount,currency,status,fee,settled_at\n", `line 1: column 1 is "id"`},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,12.345,INR,SUCCESS,,\n", "line 2: amount: amount \"12.345\" has more than 2 decimals"},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,1,INR,SUCCESS,,\npp-2,R2,1,XYZ,SUCCESS,,\n", "line 3: amount: unknown currency"},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,1,INR,DONE-ISH,,\n", `line 2: status "DONE-ISH"`},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,-5.00,INR,SUCCESS,,\n", `line 2: amount: amount "-5.00" is negative`},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,5.00,INR,SUCCESS,-1.00,\n", `line 2: fee: amount "-1.00" is negative`},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,1,INR\n", "line 2: wrong number of fields: 4, want 7"},
		{"provider_payout_id;reference_id;amount;currency;status;fee;settled_at\n", "line 1: wrong number of fields: 1, want 7, separated by commas: provider_payout_id,reference_id"},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,1.50,IDR,SUCCESS,,\n", `line 2: amount: amount "1.50" has more than 0 decimals`},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n,,1,INR,SUCCESS,,\n", "line 2: needs a provider_payout_id or a reference_id"},
		{"provider_payout_id,reference_id,amount,currency,status,fee,settled_at\npp-1,R1,1,INR,SUCCESS,,yesterday\n", `line 2: settled_at "yesterday"`},
	}
	for _, b := range bad {
		if _, err := ParseSettlement(strings.NewReader(b.file), 100); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: err = %v, want %q", b.file, err, b.want)
		}
	}
	many := "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n" + strings.Repeat("pp,R,1,INR,SUCCESS,,\n", 3)
	if _, err := ParseSettlement(strings.NewReader(many), 2); err == nil || !strings.Contains(err.Error(), "more than 2 rows") {
		t.Errorf("too many rows: %v", err)
	}
}

// A report's status words read as the adapters read the same providers':
// Paywize's REFUNDED is a reversal, RazorpayX's rejected a cancellation
// (before it was processed), in any case.
func TestSettlementStatusWordsFollowTheAdapters(t *testing.T) {
	report := "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n" +
		"pp-1,R1,1.00,INR,REFUNDED,,\npp-2,R2,1.00,INR,rejected,,\n"
	recs, err := ParseSettlement(strings.NewReader(report), 10)
	if err != nil || len(recs) != 2 || recs[0].Status != Reversed || recs[1].Status != Cancelled {
		t.Fatalf("records %+v, %v; want REVERSED, CANCELLED", recs, err)
	}
	// Xendit's, NxtBanking's and Paywize's words for a payout not settled.
	report = "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n" +
		"pp-1,R1,1.00,INR,ACCEPTED,,\npp-2,R2,1.00,INR,Requested,,\npp-3,R3,1.00,INR,INITIATED,,\n"
	recs, err = ParseSettlement(strings.NewReader(report), 10)
	if err != nil || len(recs) != 3 || recs[0].Status != Queued || recs[1].Status != Processing || recs[2].Status != Queued {
		t.Fatalf("records %+v, %v; want QUEUED, PROCESSING, QUEUED", recs, err)
	}
}

// Zeros past a currency's decimals change nothing and are read; any other
// digit there is refused.
func TestSettlementReadsTrailingZeros(t *testing.T) {
	report := "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n" +
		"pp-1,R1,1419938.00,IDR,SUCCEEDED,2500.0,\npp-2,R2,12.500,INR,SUCCEEDED,0.10,\n"
	recs, err := ParseSettlement(strings.NewReader(report), 10)
	if err != nil || len(recs) != 2 || recs[0].Amount.Minor != 1419938 || *recs[0].Fee != 2500 ||
		recs[1].Amount.Minor != 1250 || *recs[1].Fee != 10 {
		t.Fatalf("records %+v, %v", recs, err)
	}
	for amount, want := range map[string]string{"1.05": "1.05", "1.000": "1", "10": "10", "1.": "1."} {
		if got := trimZeroDecimals(amount, "IDR"); got != want {
			t.Errorf("trimZeroDecimals(%q, IDR) = %q, want %q", amount, got, want)
		}
	}
}

func TestSettledOutsideDay(t *testing.T) {
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.FixedZone("IST", 5*3600+1800))
	end := start.AddDate(0, 0, 1)
	at := func(s string) *time.Time {
		v, err := parseSettledAt(s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, tt := range []struct {
		settled []string
		bad     string // "" when the report is the day's
	}{
		{[]string{"2026-11-22", "2026-11-22T10:00:00+05:30", "2026-11-23T09:00:00Z", ""}, ""},
		{[]string{"2026-11-29T00:00:00Z"}, ""},
		{[]string{"2026-11-22T10:00:00Z", "2026-11-20T10:00:00Z"}, "row 2: settled_at 2026-11-20T10:00:00Z is before"},
		{[]string{"2026-12-02T00:00:00Z"}, "row 1: settled_at 2026-12-02T00:00:00Z is more than 7 days after"},
	} {
		var records []ProviderRecord
		for _, s := range tt.settled {
			r := ProviderRecord{ReferenceID: "R"}
			if s != "" {
				r.SettledAt = at(s)
			}
			records = append(records, r)
		}
		err := SettledOutsideDay(records, start, end)
		if (tt.bad == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.bad)) {
			t.Errorf("%v: %v, want %q", tt.settled, err, tt.bad)
		}
	}
}
