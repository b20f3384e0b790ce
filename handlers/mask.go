package handlers

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"payops/payout"
)

// normKey is a key as the masking rules compare it: lower case, without
// separators, so account_number, accountNumber and Account-No read alike.
func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(k))
}

// accountWords are parts of keys whose values are account numbers or other
// payment identifiers that pages never show whole.
var accountWords = []string{"accountnumber", "accountno", "accnumber", "accno", "acctnumber", "acctno", "iban",
	"vpa", "upiid", "cardnumber"}

// isAccountKey reports whether a key carries an account number: one of the
// accountWords, or a key naming an account itself (beneficiary_account,
// debit_account, account). Keys about an account (account_id, account_type,
// account_holder_name, fund_account_id) are not: they are ids and names.
func isAccountKey(k string) bool {
	n := normKey(k)
	for _, a := range accountWords {
		if strings.Contains(n, a) {
			return true
		}
	}
	return strings.HasSuffix(n, "account")
}

// isWholeKey reports whether everything under a key is the account: a VPA
// object's username, handle and address, a card's number and expiry.
func isWholeKey(k string) bool {
	n := normKey(k)
	return strings.Contains(n, "vpa") || strings.Contains(n, "upiid") || strings.Contains(n, "card")
}

// isReadableKey reports whether a key in text that is not JSON carries what
// people must read — a UTR, a reference, an id — so its digits are left.
func isReadableKey(k string) bool {
	n := normKey(k)
	return strings.Contains(n, "utr") || strings.Contains(n, "ref") || strings.HasSuffix(n, "id")
}

var longDigits = regexp.MustCompile(`\d{9,}`)

// pair is a key and its value in text that is not JSON: key=value,
// key: value, "key":"value" (JSON cut short) and <key>value (XML).
var pair = regexp.MustCompile(`([A-Za-z][A-Za-z0-9_.\-]*)("?\s*[=:>]\s*"?)([^\s&"',;<>{}\[\]]+)`)

// MaskBody returns a webhook body for people: JSON indented, with account
// numbers masked to their last four characters whatever key carries them,
// however deep. In a body that is not JSON (or is JSON cut short), the value
// of a key that carries an account number is masked, and every other run of
// nine or more digits too, except under keys of UTRs, references and ids.
func MaskBody(b []byte) string {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		s := strings.ToValidUTF8(string(b), "�")
		if len(s) > 64<<10 {
			s = s[:64<<10] + "…"
		}
		return maskText(s)
	}
	out, err := json.MarshalIndent(maskValue(v), "", "  ")
	if err != nil {
		return ""
	}
	return string(out)
}

func maskValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if isAccountKey(k) {
				t[k] = maskAccount(val, isWholeKey(k))
			} else {
				t[k] = maskValue(val)
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = maskValue(t[i])
		}
		return t
	}
	return v
}

// maskAccount masks the value of a key that carries an account number: a
// string or number, each one in a list, and inside an object what the
// ordinary rules mask — or every leaf when whole is set.
func maskAccount(v any, whole bool) any {
	switch t := v.(type) {
	case string:
		return payout.Mask(t)
	case json.Number:
		return payout.Mask(t.String())
	case []any:
		for i := range t {
			t[i] = maskAccount(t[i], whole)
		}
		return t
	case map[string]any:
		if !whole {
			return maskValue(t)
		}
		for k, val := range t {
			t[k] = maskAccount(val, true)
		}
		return t
	}
	return v
}

// maskText masks account numbers in text that is not JSON.
func maskText(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range pair.FindAllStringSubmatchIndex(s, -1) {
		key, val := s[m[2]:m[3]], s[m[6]:m[7]]
		b.WriteString(longDigits.ReplaceAllStringFunc(s[last:m[6]], payout.Mask))
		switch {
		case isAccountKey(key):
			b.WriteString(payout.Mask(val))
		case isReadableKey(key):
			b.WriteString(val)
		default:
			b.WriteString(longDigits.ReplaceAllStringFunc(val, payout.Mask))
		}
		last = m[7]
	}
	b.WriteString(longDigits.ReplaceAllStringFunc(s[last:], payout.Mask))
	return b.String()
}
