package payout

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEcho is how many characters of a value a refusal repeats back: enough
// to see which value it was, not a 60,000-character field sent back whole.
const MaxEcho = 40

// Echo returns s short enough to repeat in a message: at most MaxEcho
// characters, the cut marked, and bytes that are not text escaped.
func Echo(s string) string {
	if !IsText(s) {
		s = strings.Trim(strconv.QuoteToASCII(s), `"`)
	}
	if utf8.RuneCountInString(s) <= MaxEcho {
		return s
	}
	return string([]rune(s)[:MaxEcho]) + "…"
}

// StorableText makes s storable as PostgreSQL text (and JSONB), which
// refuses bytes that are not UTF-8 and NUL: the first become U+FFFD and NUL
// is dropped. For what payops writes about an answer a provider or an
// endpoint gave — an error message, a detail, a header — never for what a
// provider signed, which is kept as bytes or refused.
func StorableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Storable is o with every text field made storable (StorableText): a
// provider's status answer is not checked as a webhook's body is, and a NUL
// or a broken character in one field must not make the answer unrecordable.
func (o Observation) Storable() Observation {
	for _, f := range []*string{&o.ProviderPayoutID, &o.RawStatus, &o.UTR, &o.FailureCode, &o.FailureReason,
		&o.StateReason, &o.Actor} {
		*f = StorableText(*f)
	}
	return o
}

// HasControl reports whether s holds a control character other than tab and
// line breaks, or is not valid UTF-8: text payops refuses to store.
func HasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return true
		}
	}
	return false
}

// Invisible returns the first invisible formatting character in s, if any:
// the format characters (Unicode's Cf: text-direction marks, embeddings,
// overrides and isolates, zero-width spaces, the soft hyphen, tags) and the
// line and paragraph separators. A platform's text holding one can read
// otherwise than it is — a right-to-left override makes a name read
// backwards to the compliance user judging it, a zero-width space makes two
// names that look alike differ — so intake refuses them, naming the
// character. The zero-width joiners scripts such as Devanagari and Malayalam
// need (U+200C, U+200D) are text. Staff's own notes are not held to this.
func Invisible(s string) (rune, bool) {
	for _, r := range s {
		if (unicode.Is(unicode.Cf, r) && r != '\u200C' && r != '\u200D') || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

// InvisibleRefusal says why s is refused for an invisible formatting
// character (Invisible), naming it, or "".
func InvisibleRefusal(s string) string {
	if c, ok := Invisible(s); ok {
		return fmt.Sprintf("contains an invisible formatting character (U+%04X): send the text without it", c)
	}
	return ""
}

// twoCapitals is the shape of a market code before the ISO 3166 list was
// checked (CheckRecorded).
func twoCapitals(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
