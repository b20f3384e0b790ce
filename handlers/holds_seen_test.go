package handlers

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"payops/store"
)

// A page's "seen" carries the hold's newest evidence and its approvals as
// shownOf writes them; an older form's evidence alone compares evidence
// only; anything else, or none, is refused.
func TestSeenReadsWhatThePageShowed(t *testing.T) {
	for seen, want := range map[string]store.Shown{
		shownOf(23, 1): {Evidence: 23, Approvals: 1},
		"0.0":          {Evidence: 0, Approvals: 0},
		"23":           {Evidence: 23, Approvals: -1},
	} {
		r := httptest.NewRequest("POST", "/holds/1/release", strings.NewReader(url.Values{"seen": {seen}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got, err := seenIn(r, "seen"); err != nil || got != want {
			t.Errorf("seen %q: %+v %v, want %+v", seen, got, err, want)
		}
	}
	for _, seen := range []string{"", "-1", "23.-1", "a.1", "23.b", "1.2.3"} {
		r := httptest.NewRequest("POST", "/holds/1/release", strings.NewReader(url.Values{"seen": {seen}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := seenIn(r, "seen"); err == nil {
			t.Errorf("seen %q read without an error", seen)
		}
	}
}

// The Test switch comes back to the page without the notice of an action.
func TestHereDropsTheNotice(t *testing.T) {
	for in, want := range map[string]string{
		"/payouts/A-1?done=released":              "/payouts/A-1",
		"/payouts?status=FAILED&done=x&page=2":    "/payouts?page=2&status=FAILED",
		"/payouts?status=FAILED":                  "/payouts?status=FAILED",
		"/settings/users?done=enable&user=3":      "/settings/users?user=3",
		"/payouts/%E2%9C%93?done=released&mode=t": "/payouts/%E2%9C%93?mode=t",
	} {
		u, _ := url.Parse(in)
		if got := hereWithoutNotice(u); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// A page answering a post comes back, with the Test switch, to the page
// the post came from, never to the post's own address.
func TestHereOfAPostIsThePageItCameFrom(t *testing.T) {
	for _, c := range []struct{ referer, want string }{
		{"http://payops.example.com/settings/users?done=x&user=3", "/settings/users?user=3"},
		{"http://elsewhere.example.com/phish", "/"},
		{"", "/"},
	} {
		r := httptest.NewRequest("POST", "http://payops.example.com/settings/users/3/link", nil)
		r.Header.Set("Referer", c.referer)
		r = r.WithContext(WithUser(r.Context(), User{ID: 1, Email: "a@example.com"}))
		if got := MetaFor(r, "t", "").Here; got != c.want {
			t.Errorf("referer %q: Here %q, want %q", c.referer, got, c.want)
		}
	}
}
