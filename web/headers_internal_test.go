package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Behind HTTPS (PAYOPS_SECURE_COOKIES) every answer carries HSTS; on plain
// http (make run, tests) none does, or a browser would refuse the demo.
func TestHSTSOnlyBehindHTTPS(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, secure := range []bool{false, true} {
		rec := httptest.NewRecorder()
		securityHeaders(ok, secure).ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
		if got := rec.Header().Get("Strict-Transport-Security"); (got != "") != secure || (secure && got != "max-age=31536000") {
			t.Errorf("secure %v: Strict-Transport-Security %q", secure, got)
		}
		if rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("secure %v: no content security policy", secure)
		}
	}
}
