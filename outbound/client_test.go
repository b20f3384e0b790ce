package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"payops/outbound"
	"payops/payout"
)

var msg = outbound.Message{ID: "msg_1", At: time.Unix(1614265330, 0), Signature: "v1,x", Body: []byte(`{}`)}

func TestPrivateAddressesAreRefused(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := outbound.NewClient(payout.EndpointPolicy{}, 2*time.Second)
	if _, err := c.Send(context.Background(), srv.URL, msg); !errors.Is(err, payout.ErrEndpointRefused) {
		t.Errorf("%s: err = %v, want refused", srv.URL, err)
	}
	// A name that passes the URL check but resolves to this machine is
	// refused when connecting, on the address it resolved to (DNS rebinding).
	host := loopbackName(t)
	u, _ := url.Parse(srv.URL)
	byName := "https://" + net.JoinHostPort(host, u.Port()) + "/hook"
	if _, err := (payout.EndpointPolicy{}).CheckURL(byName); err != nil {
		t.Fatalf("the URL check already refuses %s: %v", byName, err)
	}
	if _, err := c.Send(context.Background(), byName, msg); !errors.Is(err, payout.ErrEndpointRefused) {
		t.Errorf("%s: err = %v, want refused at connect", byName, err)
	}
	if hits.Load() != 0 {
		t.Errorf("the private server got %d requests", hits.Load())
	}
}

// loopbackName returns a host name (not localhost) that resolves to a
// loopback or private address: this machine's own name on these machines.
func loopbackName(t *testing.T) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := net.LookupIP(host)
	if err != nil || len(addrs) == 0 || !(addrs[0].IsLoopback() || addrs[0].IsPrivate()) {
		t.Fatalf("this machine's name %s resolves to %v (%v): the test needs a name of a private address", host, addrs, err)
	}
	return host
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Webhook-Id") != "msg_1" || r.Header.Get("Webhook-Timestamp") != "1614265330" ||
			r.Header.Get("Webhook-Signature") != "v1,x" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer srv.Close()
	c := outbound.NewClient(payout.EndpointPolicy{AllowPrivate: true}, 2*time.Second)
	ans, err := c.Send(context.Background(), srv.URL, msg)
	if err != nil || ans.Status != http.StatusFound {
		t.Fatalf("answer %+v, %v; want 302", ans, err)
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

func TestSendTimesOutAndKeepsOneKiB(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	c := outbound.NewClient(payout.EndpointPolicy{AllowPrivate: true}, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Send(context.Background(), slow.URL+"/hooks?token=s3cret", msg)
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("slow endpoint: err %v after %s", err, time.Since(start))
	} else if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), slow.URL) {
		t.Errorf("the error names the endpoint's address (it is logged with each attempt): %v", err)
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(make([]byte, 5000))
	}))
	defer big.Close()
	var ans outbound.Answer
	ans, err = c.Send(context.Background(), big.URL, msg)
	if err != nil || ans.Status != http.StatusServiceUnavailable || len(ans.Body) != 1024 {
		t.Errorf("answer %d with %d bytes, %v", ans.Status, len(ans.Body), err)
	}
}
