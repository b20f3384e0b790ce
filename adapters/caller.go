package adapters

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"payops/payout"
)

// Caller sends one provider's HTTP requests: base URL, a 10 s timeout per
// attempt, and retries with exponential backoff and full jitter on timeouts,
// connection failures, 429 and 5xx — only for requests marked safe to repeat
// (reads, and creates carrying an idempotency key the provider honours).
// 401/403 and other 4xx are never retried.
type Caller struct {
	Provider    string
	BaseURL     string
	HTTP        *http.Client
	MaxAttempts int           // 4 when zero
	BaseDelay   time.Duration // 250 ms when zero; the n-th retry waits up to BaseDelay * 2^n
	MaxDelay    time.Duration // 5 s when zero
	// Observer, when not nil, learns of every request sent (each attempt,
	// retries included) with its operation, outcome and latency.
	Observer CallObserver
}

// CallObserver learns of each HTTP request a Caller sends to its provider:
// the Call's Op ("other" when empty), the error class (ClassOK for a 2xx
// answer, else the Kind of the error) and how long the request took.
type CallObserver interface {
	ObserveCall(provider, operation, errorClass string, took time.Duration)
}

// ClassOK is the error class of a call the provider answered with a 2xx.
const ClassOK = "none"

// ErrorClass is the class CallObserver gets for err: ClassOK for nil, the
// Kind of a provider error, "other" for anything else.
func ErrorClass(err error) string {
	if err == nil {
		return ClassOK
	}
	if k := KindOf(err); k != "" {
		return string(k)
	}
	return "other"
}

// NewCaller returns a Caller with a 10 s timeout (or timeout, when set).
func NewCaller(provider, baseURL string, timeout time.Duration) *Caller {
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &Caller{Provider: provider, BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: timeout}}
}

// Call is one request to a provider.
type Call struct {
	// Op names the operation for metrics ("submit", "status", "list"...):
	// a fixed word, never an identifier.
	Op     string
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	// Safe marks a request that may be sent again without effect: a read,
	// or a create with an idempotency key.
	Safe bool
}

// Response is a provider's answer with a 2xx status.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
	// AfterUnclear is set when an earlier try of the call got no clear
	// answer: a provider that refuses inside a 2xx body (Paywize) marks its
	// refusal so (Error.AfterUnclear).
	AfterUnclear bool
}

// HTTPError is a non-2xx answer, kept whole so the provider's package can
// read its error body (a 409's existing id, an insufficient-funds code).
type HTTPError struct {
	Status int
	Body   []byte
}

func (e *HTTPError) Error() string { return "HTTP " + strconv.Itoa(e.Status) }

// Do sends req, retrying as described on Caller. A non-2xx answer returns
// an *Error of the status's kind wrapping an *HTTPError; describe, when not
// nil, turns the error body into the Error's message.
func (c *Caller) Do(ctx context.Context, req Call, describe func(body []byte) string) (Response, error) {
	attempts := c.MaxAttempts
	if attempts == 0 {
		attempts = 4
	}
	if !req.Safe {
		attempts = 1
	}
	var last error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := c.wait(ctx, attempt, last); err != nil {
				return Response{}, last
			}
		}
		began := time.Now()
		resp, err := c.once(ctx, req, describe)
		c.observe(req.Op, err, time.Since(began))
		if err == nil {
			resp.AfterUnclear = attempt > 0
			return resp, nil
		}
		if attempt > 0 {
			err = afterUnclear(err) // every earlier try was transient
		}
		last = err
		if KindOf(err) != Transient || ctx.Err() != nil {
			return Response{}, err
		}
	}
	return Response{}, last
}

// afterUnclear marks err (an *Error) as coming after a try that got no
// clear answer.
func afterUnclear(err error) error {
	var w *wrapped
	if errors.As(err, &w) {
		e := *w.err
		e.AfterUnclear = true
		return &wrapped{err: &e, http: w.http, after: w.after}
	}
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.AfterUnclear = true
	return &c
}

// AfterUnclearTry reports whether err comes after an earlier try of the
// same call that got no clear answer: a submission's refusal then does not
// prove the provider never took the payout (a timed-out create that
// debited the balance, then "insufficient funds").
func AfterUnclearTry(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.AfterUnclear
}

func (c *Caller) observe(op string, err error, took time.Duration) {
	if c.Observer == nil {
		return
	}
	if op == "" {
		op = "other"
	}
	c.Observer.ObserveCall(c.Provider, op, ErrorClass(err), took)
}

func (c *Caller) once(ctx context.Context, req Call, describe func([]byte) string) (Response, error) {
	u := c.BaseURL + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u, body)
	if err != nil {
		return Response{}, &Error{Provider: c.Provider, Kind: Request, Message: "bad request: " + describeNetErr(err)}
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	hr.Header.Set("Accept", "application/json")
	if req.Body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(hr)
	if err != nil {
		return Response{}, &Error{Provider: c.Provider, Kind: Transient, Message: describeNetErr(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Response{}, &Error{Provider: c.Provider, Kind: Transient, HTTPStatus: resp.StatusCode, Message: describeNetErr(err)}
	}
	if resp.StatusCode/100 == 2 {
		return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}, nil
	}
	msg := "no error message"
	if describe != nil {
		if m := describe(b); m != "" {
			msg = truncate(m)
		}
	}
	return Response{}, &wrapped{
		err:   &Error{Provider: c.Provider, Kind: KindForStatus(resp.StatusCode), HTTPStatus: resp.StatusCode, Message: msg},
		http:  &HTTPError{Status: resp.StatusCode, Body: b},
		after: retryAfter(resp.Header.Get("Retry-After")),
	}
}

// wrapped is an *Error that also carries the raw answer.
type wrapped struct {
	err   *Error
	http  *HTTPError
	after time.Duration
}

func (w *wrapped) Error() string   { return w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.err, w.http} }

// HTTPErrorOf returns the raw non-2xx answer behind err, if any.
func HTTPErrorOf(err error) *HTTPError {
	var h *HTTPError
	if errors.As(err, &h) {
		return h
	}
	return nil
}

// Reclassify returns err with its Kind changed to k, keeping the rest.
func Reclassify(err error, k Kind, msg string) error {
	var w *wrapped
	if errors.As(err, &w) {
		e := *w.err
		e.Kind = k
		if msg != "" {
			e.Message = msg
		}
		return &wrapped{err: &e, http: w.http, after: w.after}
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Kind = k
		if msg != "" {
			c.Message = msg
		}
		return &c
	}
	return err
}

func (c *Caller) wait(ctx context.Context, attempt int, last error) error {
	base, maxDelay := c.BaseDelay, c.MaxDelay
	if base == 0 {
		base = 250 * time.Millisecond
	}
	if maxDelay == 0 {
		maxDelay = 5 * time.Second
	}
	d := min(base<<(attempt-1), maxDelay)
	d = time.Duration(rand.Int64N(int64(d) + 1)) // full jitter
	var w *wrapped
	if errors.As(last, &w) && w.after > d {
		d = min(w.after, maxDelay)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// describeNetErr says what went wrong on the network without the URL, which
// may carry identifiers.
func describeNetErr(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func truncate(s string) string {
	s = strings.TrimSpace(payout.StorableText(s))
	if len(s) > 200 {
		return Clip(s, 200) + "…"
	}
	return s
}

// Unclear is for the error of a submission: when it is an answer that came
// back 2xx but could not be read (Error.Unread), the provider took the
// request and may have the payout, so this is no clear answer — Transient,
// sent again under the same reference (which cannot pay twice), and never a
// refusal a person could reject the payout on. Any other error (a refusal
// the provider stated, a request that was never sent) is returned as it is.
func Unclear(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) || !e.Unread {
		return err
	}
	return Reclassify(err, Transient, "its answer could not be read, so it may have the payout: "+e.Message)
}

// UnclearAnswer is Unclear for the error of mapping a submission's 2xx
// answer (a status or amount payops cannot map): unread, whatever it says.
func UnclearAnswer(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Unread = true
	return Unclear(&c)
}

// Taken is for the error of looking up a payout the provider has just said
// it already has (a duplicate reference): it has the payout, so the
// submission's outcome is no clear answer (Transient), even when the lookup
// finds nothing (a lookup path assumed wrong answers 404 as well).
func Taken(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	return Reclassify(err, Transient, "it has a payout under this reference already, but looking it up failed: "+e.Message)
}

// TakenOrInvalid is Taken for a provider whose "duplicate" answer also
// comes for an invalid reference (Paywize's 4002): a lookup that finds
// nothing is returned as it is, so a payout it never had stays closable.
func TakenOrInvalid(err error) error {
	if KindOf(err) == NotFound {
		return err
	}
	return Taken(err)
}
