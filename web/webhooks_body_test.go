package web_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/adapters/nxtbanking"
	"payops/payout"
)

// A refused delivery — unsigned, wrongly signed, or sent too long ago —
// keeps only the first 4 KiB of its body and its full length, so an
// anonymous sender cannot fill the disk at 1 MiB a request; the webhooks
// page says how much there was. A verified delivery keeps its body whole.
func TestWebhookRefusedBodyKept4KiB(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	head, tail := `{"event":"payout.completed","payout_id":"sbx_X","status":"SUCCESS","pad":"`, `"}`
	big := head + strings.Repeat("x", 1<<20-len(head)-len(tail)) + tail // 1 MiB, the most the endpoint reads
	old := nxtbBody("sbx_OLD", "OLD-1", "SUCCESS", "UTR1", time.Now().Add(-time.Hour))
	old = strings.Replace(old, `"amount"`, `"pad":"`+strings.Repeat("y", 10_000)+`","amount"`, 1)
	fresh := nxtbBody("sbx_NEW", "NEW-1", "SUCCESS", "UTR2", time.Now())
	fresh = strings.Replace(fresh, `"amount"`, `"pad":"`+strings.Repeat("z", 10_000)+`","amount"`, 1)
	guessed := map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte("guessed"), []byte(big))}
	tests := []struct {
		name     string
		delivery signed
		code     int
		kept     int    // bytes of the body stored
		says     string // the page's note on the body's length
	}{
		{"unsigned, 1 MiB", signed{"sandbox", big, nil}, 401, 4096, "first 4,096 of 1,048,576 bytes kept"},
		{"wrongly signed, 1 MiB", signed{"sandbox", big, guessed}, 401, 4096, "first 4,096 of 1,048,576 bytes kept"},
		{"signed, an hour old", nxtbSigned(old), 401, 4096, "first 4,096 of " + commas(len(old)) + " bytes kept"},
		{"signed and fresh", nxtbSigned(fresh), 200, len(fresh), commas(len(fresh)) + " bytes"},
	}
	c := a.client()
	c.login("ops@example.com")
	for _, tt := range tests {
		if code, out := tt.delivery.post(t, a.srv.URL); code != tt.code {
			t.Errorf("%s: got %d %v, want %d", tt.name, code, out, tt.code)
			continue
		}
		d := lastDelivery(t, a)
		if got, want := len(d.Body), tt.kept; got != want {
			t.Errorf("%s: %d bytes of the body kept, want %d", tt.name, got, want)
		}
		if got, want := d.BodyLength, int64(len(tt.delivery.body)); got != want {
			t.Errorf("%s: length %d stored, want %d", tt.name, got, want)
		}
		_, page := c.get("/webhooks")
		got := textOf(selectOne(t, page, "delivery-"+strconv.FormatInt(d.ID, 10), "body-length"))
		if got != tt.says {
			t.Errorf("%s: the page says %q, want %q", tt.name, got, tt.says)
		}
	}
}

// commas writes n with its thousands separated, as the pages do.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// The headers kept with a delivery are bounded as its body is: an anonymous
// sender adding dozens of large X-Razorpay-… headers stores a few KiB.
func TestWebhookEvidenceHeadersAreBounded(t *testing.T) {
	a := newApp(t)
	h := map[string]string{}
	for i := range 40 {
		h[fmt.Sprintf("X-Razorpay-Pad-%02d", i)] = strings.Repeat("h", 20_000)
	}
	if code, out := (signed{"sandbox", `{"event":"payout.completed"}`, h}).post(t, a.srv.URL); code != 401 {
		t.Fatalf("unsigned delivery with padded headers: %d %v, want 401", code, out)
	}
	d := lastDelivery(t, a)
	var kept map[string]string
	if err := json.Unmarshal(d.HeadersRaw, &kept); err != nil || len(kept) == 0 {
		t.Fatalf("headers stored: %s (%v), want some", d.HeadersRaw, err)
	}
	size := 0
	for k, v := range kept {
		size += len(k) + len(v)
		if len(v) > 260 {
			t.Errorf("header %s kept %d bytes, want at most 256 and a mark", k, len(v))
		}
	}
	if len(kept) > 12 || size > 4<<10 {
		t.Errorf("%d headers, %d bytes kept; want at most 12 and 4 KiB", len(kept), size)
	}
}
