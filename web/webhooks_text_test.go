package web_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"payops/store"
)

// A correctly signed body that is not UTF-8 text, or holds NUL in itself
// or in a field payops keeps as text, cannot be stored as text: it is kept
// as bytes and answered 400 malformed — never 503, which the provider
// would retry for days.
func TestWebhookNotText(t *testing.T) {
	a := newApp(t, withProviders())
	now := time.Now()
	badUTF8 := func(body string) string { return strings.Replace(body, "BNK789456123", "BNK\xff\xfe123", 1) }
	tests := []struct {
		name     string
		delivery signed
	}{
		{"nxtb format, invalid UTF-8 in the body", nxtbSigned(strings.Replace(
			nxtbBody("pay_T1", "TX-1", "SUCCESS", "UTR-T1", now), "UTR-T1", "UTR\xffT1", 1))},
		{"nxtb format, NUL escaped in the UTR", nxtbSigned(nxtbBody("pay_T2", "TX-2", "SUCCESS", "UTR\x002", now))},
		{"nxtb format, NUL escaped in the reference", nxtbSigned(nxtbBody("pay_T3", "TX\x003", "SUCCESS", "U3", now))},
		{"nxtb format, a raw NUL byte", nxtbSigned(strings.Replace(nxtbBody("pay_T4", "TX-4", "SUCCESS", "U4", now),
			`"amount"`, "\x00\"amount\"", 1))},
		{"paywize, invalid UTF-8 in the decrypted payload",
			paywizeSigned(t, badUTF8(paywizePlain("CBP_T1", "PW-T1", "COMPLETED", now)), now)},
		{"paywize, NUL escaped in the reference",
			paywizeSigned(t, paywizePlain("CBP_T2", "PW\x00T2", "COMPLETED", now), now)},
		{"paywize, invalid UTF-8 in X-Paywize-Event", withHeader(paywizeSigned(t,
			paywizePlain("CBP_T3", "PW-T3", "COMPLETED", now), now), "X-Paywize-Event", "payout\xff")},
		{"razorpayx, invalid UTF-8 in the narration", razorpayxSigned(strings.Replace(
			razorpayxBody("pout_T1", "processed", now), "Acme Corp", "Acme \xc3\x28Corp", 1), "evt_T1")},
		{"razorpayx, NUL escaped in the payout id", razorpayxSigned(razorpayxBody("pout\x00T2", "processed", now), "evt_T2")},
		{"xendit, NUL escaped in the reference", xenditSigned(xenditBody("disb-T1", "XN\x00T1", "SUCCEEDED", now))},
		{"xendit, invalid UTF-8 in the body", xenditSigned(strings.Replace(xenditBody("disb-T2", "XN-T2", "SUCCEEDED", now),
			"Michael Chen", "Michael \xffChen", 1))},
	}
	for _, tt := range tests {
		code, out := tt.delivery.post(t, a.srv.URL)
		if code != 400 || out["outcome"] != store.OutcomeMalformed || !strings.HasPrefix(fmt.Sprint(out["error"]), "malformed: ") {
			t.Errorf("%s: got %d %v, want 400 with outcome malformed", tt.name, code, out)
			continue
		}
		d := lastDelivery(t, a)
		if d.Outcome != store.OutcomeMalformed || !d.Verified {
			t.Errorf("%s: stored %s (verified %v), want a verified malformed delivery", tt.name, d.Outcome, d.Verified)
		}
		if got, want := d.Body, []byte(tt.delivery.body); !bytes.Equal(got, want) {
			t.Errorf("%s: stored body %q, want the bytes sent %q", tt.name, got, want)
		}
	}
}

// withHeader returns s with one more header set.
func withHeader(s signed, key, value string) signed {
	h := map[string]string{key: value}
	for k, v := range s.header {
		if k != key {
			h[k] = v
		}
	}
	s.header = h
	return s
}
