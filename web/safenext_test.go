package web

import "testing"

func TestSafeNext(t *testing.T) {
	tests := []struct {
		next, want string
	}{
		{"", "/"},
		{"/", "/"},
		{"/payouts/stuck", "/payouts/stuck"},
		{"/payouts/stuck?provider=sandbox&page=2", "/payouts/stuck?provider=sandbox&page=2"},
		{"/payouts/REF%2D1", "/payouts/REF%2D1"},
		{"/holds#hold-7", "/holds#hold-7"},
		// Another site, plainly.
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"payouts/stuck", "/"},
		// Backslashes: browsers read them as slashes.
		{`/\evil.example`, "/"},
		{`\\evil.example`, "/"},
		{`/a\b`, "/"},
		// Control characters and whitespace: browsers drop tabs and line
		// breaks, so "/\t/evil.example" is "//evil.example" to them.
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x1f", "/"},
		{"/\x7f", "/"},
		{"/\u0085/evil.example", "/"},
		{" //evil.example", "/"},
		{"/ /evil.example", "/"},
		{"/\u00a0/evil.example", "/"},
		{"/\u2028/evil.example", "/"},
		{"/payouts/\xff", "/"},
		// The same, percent-encoded: judged on the decoded value.
		{"/%09/evil.example", "/"},
		{"/%0a/evil.example", "/"},
		{"/%0D/evil.example", "/"},
		{"/%00", "/"},
		{"/%7f", "/"},
		{"/%20/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"%2F%2Fevil.example", "/"},
		{"/%2f%2fevil.example", "/"},
		{"/%252F/evil.example", "/"},
		{"/%25252F/evil.example", "/"},
		{"/%255C", "/"},
		{"/%zz", "/"},
		{"/%", "/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
