package handlers

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"payops/payout"
)

// accountKeys are JSON keys whose values are account numbers or other
// payment identifiers that pages never show whole.
var accountKeys = []string{"account_number", "acc_number", "account_no", "accountnumber", "vpa", "card_number", "iban"}

func isAccountKey(k string) bool {
	k = strings.ToLower(k)
	for _, a := range accountKeys {
		if strings.Contains(k, a) {
			return true
		}
	}
	return false
}

var longDigits = regexp.MustCompile(`\d{9,}`)

// MaskBody returns a webhook body for people: JSON indented, with account
// numbers masked to their last four characters. A body that is not JSON has
// every run of nine or more digits masked instead.
func MaskBody(b []byte) string {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		s := strings.ToValidUTF8(string(b), "�")
		if len(s) > 64<<10 {
			s = s[:64<<10] + "…"
		}
		return longDigits.ReplaceAllStringFunc(s, payout.Mask)
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
			if s, ok := val.(string); ok && isAccountKey(k) {
				t[k] = payout.Mask(s)
			} else if n, ok := val.(json.Number); ok && isAccountKey(k) {
				t[k] = payout.Mask(n.String())
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
