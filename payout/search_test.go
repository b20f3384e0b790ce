package payout

import (
	"slices"
	"testing"
)

func TestParseSearch(t *testing.T) {
	tests := []struct {
		q           string
		last4, name string
		amounts     int
	}{
		{"  ORD-77  ", "", "ORD-77", 0},
		{"4242", "4242", "", len(currencyExponents)}, // also 4242 in every currency
		{"1250.00", "", "", len(currencyExponents)},
		{"1250.5", "", "", len(currencyExponents) - 4}, // not in IDR, VND, JPY, KRW (no decimals)
		{"asha", "", "asha", 0},
		{"as", "", "", 0}, // too short for a name
		{"UTR123456", "", "UTR123456", 0},
		{"Imran  Qureshi ", "", "Imran Qureshi", 0}, // spaces run together
		{"XXXX4574", "4574", "XXXX4574", 0},         // masked as pages show it
		{"••••4574", "4574", "", 0},                 // no letter: not a name
		{"XXXX45745", "", "XXXX45745", 0},
		{"", "", "", 0},
	}
	for _, tt := range tests {
		s := ParseSearch(tt.q)
		if s.Last4 != tt.last4 || s.Name != tt.name || len(s.Amounts) != tt.amounts {
			t.Errorf("ParseSearch(%q) = %+v", tt.q, s)
		}
	}
	// Written with its currency: that currency's reading only, no name.
	for _, q := range []string{"₹1,250.00", "Rs 1250", "Rs. 1250.00", "INR 1250.00", "1250 inr", "1,250.00 INR"} {
		s := ParseSearch(q)
		if len(s.Amounts) != 1 || s.Amounts[0] != (Money{Minor: 125000, Currency: "INR"}) || s.Name != "" || s.Text != q {
			t.Errorf("ParseSearch(%q) = %+v, want 1250.00 INR alone", q, s)
		}
	}
	if s := ParseSearch("$12.50"); len(s.Amounts) != 1 || s.Amounts[0] != (Money{Minor: 1250, Currency: "USD"}) {
		t.Errorf("ParseSearch($12.50) = %+v", s)
	}
	if s := ParseSearch("IDR 12.50"); len(s.Amounts) != 0 {
		t.Errorf("ParseSearch(IDR 12.50) = %+v, want no amount (IDR has no decimals)", s)
	}
	if s := ParseSearch("ORD-1250"); len(s.Amounts) != 0 || s.Name != "ORD-1250" {
		t.Errorf("ParseSearch(ORD-1250) = %+v, want a name reading, no amount", s)
	}
	amounts := AmountsOf("1,250.50")
	want := Money{Minor: 125050, Currency: "INR"}
	if !slices.Contains(amounts, want) || slices.ContainsFunc(amounts, func(m Money) bool { return m.Currency == "IDR" }) {
		t.Errorf("AmountsOf(1,250.50) = %v", amounts)
	}
	if got := AmountsOf("1250.00"); !slices.Contains(got, Money{Minor: 1250, Currency: "IDR"}) ||
		!slices.Contains(got, Money{Minor: 1250000, Currency: "BHD"}) {
		t.Errorf("AmountsOf(1250.00) = %v", got)
	}
	for _, bad := range []string{"-5", "1e3", "12.3.4", "abc", "0", "0.00"} {
		if got := AmountsOf(bad); got != nil {
			t.Errorf("AmountsOf(%q) = %v, want none", bad, got)
		}
	}
}

func TestMinorBounds(t *testing.T) {
	b, ok := MinorBounds("100.005", "2500.5")
	if !ok {
		t.Fatal("refused")
	}
	tests := []struct {
		currency string
		want     [2]int64
	}{
		{"INR", [2]int64{10001, 250050}}, // 100.005 rounds up to 100.01
		{"IDR", [2]int64{101, 2500}},     // 100.005 up to 101, 2500.5 down to 2500
		{"BHD", [2]int64{100005, 2500500}},
	}
	for _, tt := range tests {
		if got := b[tt.currency]; got != tt.want {
			t.Errorf("%s: %v, want %v", tt.currency, got, tt.want)
		}
	}
	if b, ok := MinorBounds("", "10"); !ok || b["INR"] != [2]int64{0, 1000} {
		t.Errorf("open low bound: %v %v", b["INR"], ok)
	}
	if b, ok := MinorBounds("10", ""); !ok || b["INR"][1] != 1<<63-1 {
		t.Errorf("open high bound: %v %v", b["INR"], ok)
	}
	for _, bad := range [][2]string{{"abc", ""}, {"", "-1"}, {"20", "10"}, {"1e9", ""}} {
		if _, ok := MinorBounds(bad[0], bad[1]); ok {
			t.Errorf("MinorBounds(%q, %q) taken", bad[0], bad[1])
		}
	}
}

func TestMayBeIdentifier(t *testing.T) {
	for text, want := range map[string]bool{"ORD-2026-0001": true, "pout_Kx81": true, "sha256:abc": true, "mahesh jain": false,
		"": false, "a\tb": false} {
		if got := (Search{Text: text}).MayBeIdentifier(); got != want {
			t.Errorf("MayBeIdentifier(%q) = %v, want %v", text, got, want)
		}
	}
}
