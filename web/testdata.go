package web

import (
	"net/http"

	"payops/handlers"
)

// testDataKey is the session cookie's value that remembers the header's
// "View test data" switch. It lives in the signed session cookie, so it ends
// with the sign-in: every session starts on live data.
const testDataKey = "test_data"

// viewsTestData reports whether the request's session cookie has the
// "View test data" switch on.
func (s *Server) viewsTestData(r *http.Request) bool {
	cookie, _ := s.sessions.Get(r, sessionName)
	on, _ := cookie.Values[testDataKey].(bool)
	return on
}

// setTestData turns the "View test data" switch on (form value on=1) or
// off and goes back to the page the switch was pressed on. A plain form
// post, so it works without JavaScript.
func (s *Server) setTestData(w http.ResponseWriter, r *http.Request) {
	cookie, _ := s.sessions.Get(r, sessionName)
	if r.PostFormValue("on") == "1" {
		cookie.Values[testDataKey] = true
	} else {
		delete(cookie.Values, testDataKey)
	}
	if err := s.saveCookie(w, r, cookie); err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}
