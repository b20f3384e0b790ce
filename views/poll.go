package views

// PollHeader marks a request a page makes by itself on a timer (a running
// job's row, a drill's progress): such a GET is not someone using payops, so
// it does not keep a session from going idle (web's session check).
const PollHeader = "X-Payops-Poll"

// PollHeaders is the hx-headers value of a polling element.
const PollHeaders = `{"` + PollHeader + `": "1"}`
