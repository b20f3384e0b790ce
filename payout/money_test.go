package payout

import (
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             int64
	}{
		{"1250.50", "INR", 125050},
		{"1250.5", "INR", 125050},
		{"1250", "INR", 125000},
		{"0.01", "INR", 1},
		{"10000", "IDR", 10000},
		{"1.234", "BHD", 1234},
		{"92233720368547758.07", "INR", 9223372036854775807},
		{"007.10", "USD", 710},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.amount, tt.currency)
		if err != nil {
			t.Errorf("ParseMoney(%q, %s): %v", tt.amount, tt.currency, err)
			continue
		}
		if got.Minor != tt.want || got.Currency != tt.currency {
			t.Errorf("ParseMoney(%q, %s) = %+v, want %d", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestParseMoneyRefuses(t *testing.T) {
	tests := []struct{ amount, currency string }{
		{"10000.5", "IDR"},              // IDR has no minor units
		{"1.001", "INR"},                // three decimals
		{"-5.00", "INR"},                // sign
		{"+5.00", "INR"},                // sign
		{"1e3", "INR"},                  // exponent
		{"", "INR"},                     // empty
		{".50", "INR"},                  // no whole part
		{"5.", "INR"},                   // dangling dot
		{"1,000.00", "INR"},             // grouping
		{"92233720368547758.08", "INR"}, // overflows int64 paise
		{"NaN", "INR"},                  // float words
		{" 5.00", "INR"},                // spaces
	}
	for _, tt := range tests {
		if got, err := ParseMoney(tt.amount, tt.currency); err == nil {
			t.Errorf("ParseMoney(%q, %s) = %+v, want error", tt.amount, tt.currency, got)
		}
	}
	if _, err := ParseMoney("5.00", "XXX"); !errors.Is(err, ErrCurrency) {
		t.Errorf("unknown currency: err = %v, want ErrCurrency", err)
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		m             Money
		decimal, text string
	}{
		{Money{125050, "INR"}, "1250.50", "1,250.50 INR"},
		{Money{1250000050, "INR"}, "12500000.50", "1,25,00,000.50 INR"},
		{Money{10000, "IDR"}, "10000", "10,000 IDR"},
		{Money{123456789, "USD"}, "1234567.89", "1,234,567.89 USD"},
		{Money{5, "INR"}, "0.05", "0.05 INR"},
		{Money{-150, "INR"}, "-1.50", "-1.50 INR"},
		{Money{1234, "BHD"}, "1.234", "1.234 BHD"},
	}
	for _, tt := range tests {
		if got := tt.m.Decimal(); got != tt.decimal {
			t.Errorf("%+v.Decimal() = %q, want %q", tt.m, got, tt.decimal)
		}
		if got := tt.m.String(); got != tt.text {
			t.Errorf("%+v.String() = %q, want %q", tt.m, got, tt.text)
		}
		back, err := ParseMoney(tt.m.Decimal(), tt.m.Currency)
		if tt.m.Minor >= 0 && (err != nil || back != tt.m) {
			t.Errorf("round trip %+v: %+v, %v", tt.m, back, err)
		}
	}
}

func TestMask(t *testing.T) {
	tests := map[string]string{"1234567890": "XXXXXX7890", "1234": "XXXX", "": "", "12": "XX"}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
