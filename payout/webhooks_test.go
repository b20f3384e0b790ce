package payout

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks libraries' published signing vector (the same in
// the Go, JavaScript, PHP, Java and C# libraries of
// github.com/standard-webhooks/standard-webhooks).
func TestSignWebhookPublishedVector(t *testing.T) {
	got, err := SignWebhook([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
}

func TestSignWebhookRotation(t *testing.T) {
	cur, prev := NewWebhookSecret(), NewWebhookSecret()
	at, body := time.Unix(1614265330, 0), []byte(`{}`)
	both, err := SignWebhook([]string{cur, prev}, "msg_x", at, body)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := SignWebhook([]string{cur}, "msg_x", at, body)
	other, _ := SignWebhook([]string{prev}, "msg_x", at, body)
	if want := one + " " + other; both != want {
		t.Errorf("two secrets sign %q, want %q", both, want)
	}
	if one == other {
		t.Error("two new secrets sign alike")
	}
}

func TestSigningSecrets(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	prev, later, earlier := "whsec_prev", now.Add(time.Hour), now.Add(-time.Second)
	for _, tc := range []struct {
		name  string
		prev  *string
		until *time.Time
		want  int
	}{
		{"no rotation", nil, nil, 1},
		{"within the overlap", &prev, &later, 2},
		{"overlap over", &prev, &earlier, 1},
	} {
		if got := SigningSecrets("whsec_cur", tc.prev, tc.until, now); len(got) != tc.want || got[0] != "whsec_cur" {
			t.Errorf("%s: secrets = %v, want %d starting with the current", tc.name, got, tc.want)
		}
	}
}

func TestWebhookSecretFormat(t *testing.T) {
	s := NewWebhookSecret()
	key, err := ParseWebhookSecret(s)
	if err != nil || len(key) != 32 || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("new secret %q: key %d bytes, err %v", s, len(key), err)
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_c2hvcnQ=", "whsec_!!!"} {
		if _, err := ParseWebhookSecret(bad); err == nil {
			t.Errorf("ParseWebhookSecret(%q) accepted it", bad)
		}
	}
}

func TestStatusEvent(t *testing.T) {
	for _, tc := range []struct {
		s    Status
		want string
	}{
		{Held, "payout.held"}, {Processing, "payout.processing"}, {Succeeded, "payout.succeeded"},
		{Failed, "payout.failed"}, {Cancelled, "payout.cancelled"}, {Reversed, "payout.reversed"}, {Queued, ""},
	} {
		if got, ok := StatusEvent(tc.s); got != tc.want || ok != (tc.want != "") {
			t.Errorf("StatusEvent(%s) = %q, %v; want %q", tc.s, got, ok, tc.want)
		}
	}
}

func TestParseEventTypes(t *testing.T) {
	got, err := ParseEventTypes(" payout.succeeded,payout.failed,payout.succeeded,")
	if err != nil || strings.Join(got, ",") != "payout.failed,payout.succeeded" {
		t.Errorf("got %v, %v", got, err)
	}
	if all, err := ParseEventTypes(""); err != nil || len(all) != 0 || !Subscribes(all, EventHoldRejected) {
		t.Errorf("empty list: %v, %v", all, err)
	}
	if _, err := ParseEventTypes("payout.exploded"); err == nil {
		t.Error("an unknown type was accepted")
	}
	if Subscribes(got, EventPayoutCreated) || !Subscribes(got, EventPayoutFailed) {
		t.Error("Subscribes does not follow the list")
	}
}

func TestNextAttempt(t *testing.T) {
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	at, total := start, time.Duration(0)
	for failed := 1; ; failed++ {
		next, ok := NextAttempt(failed, at, 0)
		if !ok {
			if failed != len(RetryDelays)+1 {
				t.Errorf("gave up after %d failures, want %d", failed-1, len(RetryDelays)+1)
			}
			break
		}
		total += next.Sub(at)
		at = next
	}
	if want := 75*time.Hour + 35*time.Minute + 5*time.Second; total != want {
		t.Errorf("the schedule spans %s, want %s", total, want)
	}
	lo, _ := NextAttempt(4, start, 0)
	hi, _ := NextAttempt(4, start, 1)
	if lo.Sub(start) != 120*time.Minute || hi.Sub(start) != 132*time.Minute {
		t.Errorf("2 h with up to 10%% jitter spans %s..%s", lo.Sub(start), hi.Sub(start))
	}
	// The shortest schedule outlasts the endpoint's limit, so a delivery
	// is never given up before its endpoint failing all along is disabled.
	if total <= EndpointFailingLimit {
		t.Errorf("the schedule spans %s, not more than the endpoint's limit %s", total, EndpointFailingLimit)
	}
	for range 1000 {
		if j := Jitter(); j < 0 || j >= 1 {
			t.Fatalf("Jitter() = %v, want [0, 1)", j)
		}
	}
	if !GiveUp(true, false) || GiveUp(true, true) || GiveUp(false, false) {
		t.Error("GiveUp: only a spent schedule on an endpoint still up gives up")
	}
	since := start
	if EndpointFailing(&since, start.Add(71*time.Hour)) || !EndpointFailing(&since, start.Add(72*time.Hour)) ||
		EndpointFailing(nil, start.Add(100*time.Hour)) {
		t.Error("EndpointFailing does not disable at 3 days")
	}
}

func TestEndpointPolicy(t *testing.T) {
	strict, lax := EndpointPolicy{}, EndpointPolicy{AllowPrivate: true}
	for _, tc := range []struct {
		url           string
		strict, loose bool
	}{
		{"https://hooks.example.com/payops", true, true},
		{"http://hooks.example.com/payops", false, true},
		{"https://127.0.0.1:8443/x", false, true},
		{"https://localhost/x", false, true},
		{"https://localhost./x", false, true},
		{"https://10.1.2.3/x", false, true},
		{"https://192.168.0.7/x", false, true},
		{"https://169.254.169.254/latest/meta-data", false, true},
		{"https://[::1]/x", false, true},
		{"https://[fe80::1]/x", false, true},
		{"https://[::ffff:10.0.0.1]/x", false, true},
		{"https://100.64.0.1/x", false, true},
		{"https://0.1.2.3/x", false, true},
		{"https://198.18.0.1/x", false, true},
		{"https://240.0.0.1/x", false, true},
		{"https://[64:ff9b::a9fe:a9fe]/latest/meta-data", false, true}, // NAT64 to 169.254.169.254
		{"https://[64:ff9b::808:808]/x", true, true},                   // NAT64 to 8.8.8.8
		{"https://[2001:db8::1]/x", false, true},
		{"https://192.0.2.2/x", false, true}, // TEST-NET-1: a host may use it as its own
		{"https://198.51.100.7/x", false, true},
		{"https://203.0.113.9/x", false, true},
		{"https://192.0.0.8/x", false, true},
		{"https://[2002:a00:1::1]/x", false, true}, // 6to4 of 10.0.0.1
		{"https://0.0.0.0/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"https://user:pw@hooks.example.com/", false, false},
		{"ftp://hooks.example.com/", false, false},
		{"https:///nohost", false, false},
		{"https://8.8.8.8/x", true, true},
	} {
		for _, c := range []struct {
			p    EndpointPolicy
			want bool
		}{{strict, tc.strict}, {lax, tc.loose}} {
			_, err := c.p.CheckURL(tc.url)
			if (err == nil) != c.want || (err != nil && !errors.Is(err, ErrEndpointRefused)) {
				t.Errorf("%+v CheckURL(%s) = %v, want allowed %v", c.p, tc.url, err, c.want)
			}
		}
	}
	if err := strict.CheckAddr(netip.MustParseAddr("172.16.5.4")); err == nil {
		t.Error("172.16.5.4 allowed")
	}
}

func TestChangeEvent(t *testing.T) {
	tests := []struct {
		from, to Status
		d        Decision
		learned  bool
		want     string
	}{
		{Processing, Succeeded, Apply, true, EventPayoutSucceeded},
		{Processing, Succeeded, Apply, false, EventPayoutSucceeded},
		{Held, Queued, Apply, true, ""}, // hold.released says so
		{Succeeded, Succeeded, Merge, true, EventPayoutUpdated},
		{Succeeded, Succeeded, Merge, false, ""},
		{Succeeded, Succeeded, Stale, true, ""},
		{Failed, Failed, Anomaly, true, ""},
	}
	for _, tt := range tests {
		if got := ChangeEvent(tt.from, tt.to, tt.d, tt.learned); got != tt.want {
			t.Errorf("ChangeEvent(%s, %s, %s, %v) = %q, want %q", tt.from, tt.to, tt.d, tt.learned, got, tt.want)
		}
	}
}
