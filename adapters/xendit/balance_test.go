package xendit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"payops/adapters/xendit"
)

func TestBalance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _, ok := r.BasicAuth(); !ok || u != "xnd_secret" || r.URL.Path != "/balance" ||
			r.URL.Query().Get("account_type") != "CASH" {
			http.Error(w, `{"error_code":"INVALID_API_KEY","message":"no"}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"balance": 1241231}`))
	}))
	defer srv.Close()
	c := xendit.NewClient(xendit.Config{BaseURL: srv.URL, SecretKey: "xnd_secret"})
	got, err := c.Balance(context.Background())
	if err != nil || got.Minor != 1241231 || got.Currency != "IDR" {
		t.Fatalf("got %v %v, want IDR 1241231", got, err)
	}
}
