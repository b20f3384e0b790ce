package payout

import (
	"strings"
	"testing"
)

func TestIsCountry(t *testing.T) {
	for code, want := range map[string]bool{"IN": true, "ID": true, "PH": true, "VN": true, "AD": true, "ZW": true,
		"ZZ": false, "XK": false, "in": false, "IND": false, "": false, "I": false, "D ": false, " A": false} {
		if got := IsCountry(code); got != want {
			t.Errorf("IsCountry(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestJSONDepth(t *testing.T) {
	for b, want := range map[string]int{`{}`: 1, `{"a":1}`: 1, `{"a":[1,{"b":[]}]}`: 4, `{"a":"[[[{{{"}`: 1,
		`{"a":"\"[[","b":["\\"]}`: 2, `{"a":[[]],"b":[]}`: 3} {
		if got := jsonDepth([]byte(b)); got != want {
			t.Errorf("jsonDepth(%s) = %d, want %d", b, got, want)
		}
	}
}

func TestEchoAndUnknownProvider(t *testing.T) {
	if got := Echo(strings.Repeat("é", 50)); got != strings.Repeat("é", MaxEcho)+"…" {
		t.Errorf("Echo cut %q", got)
	}
	if got := Echo("a\x00b"); got != `a\x00b` {
		t.Errorf("Echo of a NUL %q", got)
	}
	if got := unknownProvider("xendit", nil); !strings.Contains(got, "no provider this token may send to is configured") {
		t.Errorf("no providers: %q", got)
	}
	if got := unknownProvider("paypal", []string{"sandbox"}); got != `unknown provider "paypal": use one of sandbox` {
		t.Errorf("one provider: %q", got)
	}
}

func TestInvisible(t *testing.T) {
	for s, want := range map[string]rune{"Asha \u202eoaR": 0x202E, "Asha\u200bRao": 0x200B, "Ra\u00ado": 0xAD,
		"a\u2060b": 0x2060, "a\u2028b": 0x2028, "\ufeffAsha": 0xFEFF, "\U000E0041": 0xE0041} {
		if got, ok := Invisible(s); !ok || got != want {
			t.Errorf("Invisible(%q) = %U %v, want %U", s, got, ok, want)
		}
	}
	for _, s := range []string{"Asha Rao", "\u0d15\u0d4d\u200d", "\u0915\u094d\u200c\u0937", "محمد", "line\nbreak\ttab"} {
		if got, ok := Invisible(s); ok {
			t.Errorf("Invisible(%q) = %U, want none", s, got)
		}
	}
}
