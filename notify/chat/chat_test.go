package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"payops/notify/chat"
	"payops/outbound"
	"payops/payout"
)

func TestPost(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	if err := chat.NewClient(5*time.Second, nil).Post(context.Background(), srv.URL+"/hooks/T0/secret", "hello"); err != nil {
		t.Fatal(err)
	}
	if got["text"] != "hello" {
		t.Errorf("posted %v, want text hello", got)
	}
}

func TestPostFails(t *testing.T) {
	redirected := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hooks/secret-500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/hooks/secret-redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/hooks/secret-slow":
			time.Sleep(300 * time.Millisecond)
		default:
			redirected = true
		}
	}))
	defer srv.Close()
	c := chat.NewClient(100*time.Millisecond, nil)
	for _, tt := range []struct{ path, want string }{
		{"/hooks/secret-500", "500"}, {"/hooks/secret-redirect", "307"}, {"/hooks/secret-slow", "Timeout"},
	} {
		err := c.Post(context.Background(), srv.URL+tt.path, "x")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.path, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the URL: %v", tt.path, err)
		}
	}
	if redirected {
		t.Error("the redirect was followed")
	}
}

// Through payops' transport (outbound.Transport) a chat webhook is posted to
// only where the endpoint policy allows: a loopback receiver is refused on
// connecting unless private targets are allowed.
func TestPostThroughTheEndpointPolicy(t *testing.T) {
	var posted atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posted.Store(true) }))
	defer srv.Close()
	strict := chat.NewClient(time.Second, outbound.Transport(payout.EndpointPolicy{}, time.Second))
	err := strict.Post(context.Background(), srv.URL+"/hooks/secret", "x")
	if err == nil || !errors.Is(err, payout.ErrEndpointRefused) || posted.Load() {
		t.Errorf("loopback with the strict policy: err %v, posted %v; want refused before connecting", err, posted.Load())
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the URL: %v", err)
	}
	lax := chat.NewClient(time.Second, outbound.Transport(payout.EndpointPolicy{AllowPrivate: true}, time.Second))
	if err := lax.Post(context.Background(), srv.URL+"/hooks/secret", "x"); err != nil || !posted.Load() {
		t.Errorf("loopback allowed: err %v, posted %v", err, posted.Load())
	}
}
