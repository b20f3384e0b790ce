package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"payops/payout"
)

// Form bodies are capped before they are read: a few KiB for signing in,
// which anyone may post, and 64 KiB for the dashboard's forms. A body over
// the cap is 413 with a message and changes nothing, signed in or not.
func TestFormBodiesCapped(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("ops@example.com", payout.RoleOps)
	hold := a.heldPayout("CAP-1", expiredTax)
	ops := a.client()
	ops.login("ops@example.com")
	before := a.snapshot()

	login := func(password string) url.Values {
		return url.Values{"email": {"ops@example.com"}, "password": {password}}
	}
	evidence := func(note string) url.Values { return url.Values{"note": {note}, "tax_artifact": {"present"}} }
	tests := []struct {
		name string
		c    *client
		path string
		form url.Values
		code int
		says string // in the error box, for 413
	}{
		{"sign-in under the cap", a.client(), "/login", login(strings.Repeat("p", 4<<10)), http.StatusUnauthorized, ""},
		{"sign-in over the cap", a.client(), "/login", login(strings.Repeat("p", 9<<10)), http.StatusRequestEntityTooLarge,
			"larger than 8 KiB"},
		{"sign-in of a megabyte", a.client(), "/login", login(strings.Repeat("p", 1<<20)), http.StatusRequestEntityTooLarge,
			"larger than 8 KiB"},
		{"dashboard form under the cap", ops, "/holds/" + hold + "/evidence", evidence(strings.Repeat("n", 40<<10)),
			http.StatusBadRequest, ""},
		{"dashboard form over the cap", ops, "/holds/" + hold + "/evidence", evidence(strings.Repeat("n", 65<<10)),
			http.StatusRequestEntityTooLarge, "larger than 64 KiB"},
		{"dashboard form signed out", a.client(), "/holds/" + hold + "/evidence", evidence(strings.Repeat("n", 1<<20)),
			http.StatusRequestEntityTooLarge, "larger than 64 KiB"},
	}
	for _, tt := range tests {
		code, body, _ := tt.c.do("POST", tt.path, tt.form, nil)
		if code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.code)
			continue
		}
		if tt.says == "" {
			continue
		}
		if got, _ := textByID(t, body, "error"); !strings.Contains(got, tt.says) {
			t.Errorf("%s: the page says %q, want %q", tt.name, got, tt.says)
		}
	}
	if after := a.snapshot(); after != before {
		t.Errorf("refused forms changed something:\n before %s\n after  %s", before, after)
	}
}

// The check that a form is text holds for every way of naming the form's
// content type, parameters and case included: bytes that are not text are
// the sender's mistake (400), not a database fault (a sign-in with such an
// email was a 500).
func TestFormNotTextWhateverTheContentType(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("ops@example.com", payout.RoleOps)
	hold := a.heldPayout("TXT-1", expiredTax)
	ops := a.client()
	ops.login("ops@example.com")
	before := a.snapshot()
	forms := []struct {
		c    *client
		path string
		form func(bad string) url.Values
	}{
		{a.client(), "/login", func(bad string) url.Values {
			return url.Values{"email": {bad}, "password": {"secret-pass"}}
		}},
		{ops, "/holds/" + hold + "/evidence", func(bad string) url.Values {
			return url.Values{"note": {"checked: " + bad}, "tax_artifact": {"present"}}
		}},
	}
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=utf-8",
		"application/x-www-form-urlencoded;charset=UTF-8",
		"Application/X-WWW-Form-Urlencoded",
	} {
		for _, f := range forms {
			for _, bad := range []string{"ops\xff\xfe@example.com", "ops\x00@example.com"} {
				body := strings.NewReader(f.form(bad).Encode())
				code, page, _ := f.c.send("POST", f.path, body, map[string]string{"Content-Type": ct})
				if code != http.StatusBadRequest {
					t.Errorf("%s as %s with %q: %d, want 400", f.path, ct, bad, code)
					continue
				}
				if got, _ := textByID(t, page, "error"); !strings.Contains(got, "not text") {
					t.Errorf("%s as %s with %q: the page says %q", f.path, ct, bad, got)
				}
			}
		}
	}
	if after := a.snapshot(); after != before {
		t.Errorf("forms that are not text changed something:\n before %s\n after  %s", before, after)
	}
}
