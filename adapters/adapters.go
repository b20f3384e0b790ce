// Package adapters defines what payops asks of a payout provider. Each
// provider lives in a package of its own that speaks its HTTP API and knows
// nothing of the store.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"payops/payout"
)

// Payout is what an adapter is told about one of our payouts. The account
// number is whole because the provider needs it; adapters never log it.
type Payout struct {
	ReferenceID      string // our idempotency key
	ProviderPayoutID string // "" when the provider has not answered yet
	Amount           payout.Money
	Mode             string // IMPS, NEFT, RTGS, UPI ...
	Narration        string
	Beneficiary      Beneficiary
}

// Beneficiary is who receives a payout.
type Beneficiary struct {
	Name          string
	AccountNumber string
	IFSC          string
	BankCode      string
	BankName      string
}

// Record is one payout as the provider lists it, for reconciliation.
type Record struct {
	ProviderPayoutID string
	ReferenceID      string
	Amount           payout.Money
	Fee              *payout.Money
	RawStatus        string
	Status           payout.Status
	UTR              string
	At               time.Time
}

// Event is a verified, parsed webhook delivery about one payout.
type Event struct {
	// ID is the provider's own event id where the signature covers it; ""
	// otherwise, and the endpoint dedupes on a hash of the raw body instead
	// (an id in an unsigned header, such as X-Razorpay-Event-Id, would let
	// anyone replay a signed body as a new event).
	ID string
	// Type is the provider's event name, "payout.processed".
	Type string
	// Ignore is set for deliveries that are not about a payout's status,
	// such as RazorpayX downtime events: accepted, recorded, not applied.
	Ignore bool
	// ReferenceID is our reference as the provider echoes it.
	ReferenceID string
	Observation payout.Observation
	// Payload is the body as the provider meant it: the decrypted JSON for
	// Paywize, the raw body for the others. Pages show it masked.
	Payload []byte
	// SentAt is when the delivery says it was sent, from a field the
	// signature covers: NxtBanking's "timestamp", Paywize's
	// timestamps.webhook_sent_at. Zero when the provider gave none. The
	// endpoint refuses a delivery whose time is further from its own clock
	// than the tolerance (payout.SentOutside).
	SentAt time.Time
	// MadeAt is when the provider made the event, from a field the
	// signature covers that its retries keep (RazorpayX's top-level
	// "created_at"), and Retries how long it retries a delivery: the
	// endpoint refuses an event made longer ago than both with the
	// tolerance (payout.MadeOutside), not a genuine late retry.
	MadeAt  time.Time
	Retries time.Duration
	// HeaderSentAt is a send time from a header the signature does not
	// cover (Paywize's X-Paywize-Timestamp, which Paywize always sends): held
	// to the same tolerance, though on its own it proves nothing.
	HeaderSentAt time.Time
	// Downtime is set for a provider's downtime notice (an Ignore event):
	// submissions through it pause until it is resolved.
	Downtime *Downtime
}

// Provider is a payout provider, reached through its API.
type Provider interface {
	// Name is the provider's name in payops: "sandbox", "nxtbanking", ...
	Name() string
	// Submit creates the payout at the provider with our reference id as the
	// idempotency key. Asked twice, it returns the one payout the provider
	// has. The Observation carries the provider's payout id and status.
	Submit(ctx context.Context, p Payout) (payout.Observation, error)
	// Status asks the provider for the payout's current state.
	Status(ctx context.Context, p Payout) (payout.Observation, error)
	// List returns the provider's payouts created in [from, to).
	List(ctx context.Context, from, to time.Time) ([]Record, error)
	// Webhook verifies a delivery's signature on the raw bytes, then parses
	// it. It returns ErrSignature, ErrTimestamp or ErrMalformed.
	Webhook(h http.Header, body []byte) (Event, error)
}

// Errors from Webhook.
var (
	ErrSignature = errors.New("webhook signature missing or invalid")
	ErrMalformed = errors.New("webhook body cannot be parsed")
	// ErrTimestamp: the delivery's send time is missing where the provider
	// always sends one, cannot be read, or (said by the endpoint) is outside
	// the tolerance. Refused as a bad signature is.
	ErrTimestamp = errors.New("webhook timestamp missing, unreadable or outside the tolerance")
)

// Malformed wraps ErrMalformed with what was wrong.
func Malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Registry holds the configured providers by name.
type Registry map[string]Provider

// Switchable is a provider that exists only some of the time, such as the
// drill provider while a drill runs. While it is off, the registry has no
// such provider: its webhooks are an unknown provider's, no payout names it.
type Switchable interface {
	Enabled() bool
}

func enabled(p Provider) bool {
	s, ok := p.(Switchable)
	return !ok || s.Enabled()
}

// ErrNotConfigured is returned for a provider payops has no credentials for.
var ErrNotConfigured = errors.New("provider not configured")

// Get returns the provider called name, or ErrNotConfigured when there is
// none or it is switched off.
func (r Registry) Get(name string) (Provider, error) {
	p, ok := r[name]
	if !ok || !enabled(p) {
		return nil, fmt.Errorf("%w: %s", ErrNotConfigured, name)
	}
	return p, nil
}

// Lister is a provider that says whether its List works. A provider that
// does not say lists its payouts by time; Xendit and Paywize say they do
// not (their List returns ErrListUnsupported).
type Lister interface {
	Lists() bool
}

// Lists reports whether the provider called name is configured, on, and
// lists its payouts by time, so that its business days can be reconciled
// without a settlement report.
func (r Registry) Lists(name string) bool {
	p, err := r.Get(name)
	if err != nil {
		return false
	}
	l, ok := p.(Lister)
	return !ok || l.Lists()
}

// Names returns the names of the providers configured and on, sorted.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r))
	for n, p := range r {
		if enabled(p) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// FailureClassifier is a provider that knows its failure codes: the codes
// it gives a payout that FAILED after sending, as payops stores them in
// payout.Observation.FailureCode.
type FailureClassifier interface {
	// ClassifyFailure returns code's class, comparing it case-insensitively;
	// payout.FailUnknown for "" or a code it does not know.
	ClassifyFailure(code string) payout.FailureClass
}

// ClassifyFailure returns the class of p's failure code: payout.FailUnknown
// for a provider that does not classify, for "" and for a code it does not
// know.
func ClassifyFailure(p Provider, code string) payout.FailureClass {
	f, ok := p.(FailureClassifier)
	if !ok || strings.TrimSpace(code) == "" {
		return payout.FailUnknown
	}
	if c := f.ClassifyFailure(code); c != "" {
		return c
	}
	return payout.FailUnknown
}

// ClassifyFailure returns the class of a failure code of the provider called
// name: payout.FailUnknown when there is no such provider. A provider
// switched off (the drill provider between drills) still classifies: its
// payouts' failures outlive the drill.
func (r Registry) ClassifyFailure(name, code string) payout.FailureClass {
	p, ok := r[name]
	if !ok {
		return payout.FailUnknown
	}
	return ClassifyFailure(p, code)
}

// FailureTable maps a provider's failure codes, spelled as the provider
// spells them, to their classes.
type FailureTable map[string]payout.FailureClass

// Classify returns code's class, comparing codes case-insensitively and
// without surrounding space; payout.FailUnknown for "" or a code the table
// does not have.
func (t FailureTable) Classify(code string) payout.FailureClass {
	code = strings.TrimSpace(code)
	if c, ok := t[code]; ok {
		return c
	}
	for k, c := range t {
		if strings.EqualFold(k, code) {
			return c
		}
	}
	return payout.FailUnknown
}

// Kind classifies a provider failure by what payops should do about it.
type Kind string

// The kinds of provider failure.
const (
	// Transient: timeouts, 429 and 5xx. Safe calls are retried.
	Transient Kind = "transient"
	// Credentials: 401 and 403. Stop and alert; never retry.
	Credentials Kind = "credentials"
	// Request: any other 4xx. The request itself is wrong; manual review.
	Request Kind = "request"
	// NotFound: the provider has no such payout.
	NotFound Kind = "not_found"
	// Duplicate: the provider has a payout with this idempotency key
	// already; Submit answers it by looking that payout up.
	Duplicate Kind = "duplicate"
	// InsufficientFunds: the account cannot fund the payout; a funding hold,
	// not a retry.
	InsufficientFunds Kind = "insufficient_funds"
)

// Error is a classified provider failure. Its message never holds secrets or
// account numbers.
type Error struct {
	Provider   string
	Kind       Kind
	HTTPStatus int // 0 when no response came
	Message    string
	// Unread marks an answer that came back 2xx but could not be read (its
	// body, or a status or amount payops cannot map): the provider did
	// answer, and for a submission may have the payout (Unclear).
	Unread bool
	// AfterUnclear marks the error of a call retried after a try that got
	// no clear answer (a timeout, a 5xx): whatever the last try says, the
	// provider may have acted on an earlier one (AfterUnclearTry).
	AfterUnclear bool
}

func (e *Error) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("%s: %s (HTTP %d): %s", e.Provider, e.Kind, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Provider, e.Kind, e.Message)
}

// KindOf returns the Kind of a provider error, or "" for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// KindForStatus classifies an HTTP status a provider answered with.
func KindForStatus(code int) Kind {
	switch {
	case code == 401 || code == 403:
		return Credentials
	case code == 404:
		return NotFound
	case code == 409:
		return Duplicate
	case code == 429 || code >= 500:
		return Transient
	default:
		return Request
	}
}

// Balancer is a provider whose API says how much money the account payouts
// leave from holds: RazorpayX (GET /v1/banking_balances), Xendit (GET
// /balance) and the sandbox. NxtBanking's and Paywize's seeds document none.
type Balancer interface {
	// Balance returns the available balance of the payout account, or a
	// provider *Error.
	Balance(ctx context.Context) (payout.Money, error)
}

// BalanceReporter is a Balancer that says whether its Balance works: the
// NxtBanking client does only when it speaks to the sandbox.
type BalanceReporter interface {
	Balances() bool
}

// Balancer returns the provider called name as a Balancer, when it is
// configured, on, and has a balance call.
func (r Registry) Balancer(name string) (Balancer, bool) {
	p, err := r.Get(name)
	if err != nil {
		return nil, false
	}
	b, ok := p.(Balancer)
	if !ok {
		return nil, false
	}
	if br, ok := p.(BalanceReporter); ok && !br.Balances() {
		return nil, false
	}
	return b, true
}

// Balancers counts the providers with a balance call.
func (r Registry) Balancers() int {
	n := 0
	for name := range r {
		if _, ok := r.Balancer(name); ok {
			n++
		}
	}
	return n
}

// Downtime is a provider's notice that payouts through it will fail for a
// while (RazorpayX payout.downtime.started) or may go again
// (payout.downtime.resolved).
type Downtime struct {
	ID       string // the provider's id of the downtime; "" when it gives none
	Resolved bool
	// Mode is the payout mode affected ("IMPS"); "" for every mode.
	Mode   string
	Detail string    // the provider's words, for people
	At     time.Time // when it began or was resolved, by the provider; zero when not given
}
