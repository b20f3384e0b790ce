package payout

import (
	"strconv"
	"strings"
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
