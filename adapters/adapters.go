// Package adapters defines what payops asks of a payout provider. Each
// provider lives in a package of its own that speaks its HTTP API and knows
// nothing of the store.
package adapters

import (
	"context"
	"errors"
	"fmt"

	"payops/payout"
)

// Payout is what an adapter is told about one of our payouts.
type Payout struct {
	ReferenceID      string // our idempotency key
	ProviderPayoutID string // "" when the provider has not answered yet
	Amount           payout.Money
}

// Provider is a payout provider, reached through its API.
type Provider interface {
	// Name is the provider's name in payops: "sandbox", "nxtbanking", ...
	Name() string
	// Status asks the provider for the payout's current state. It returns an
	// *Error classifying any failure.
	Status(ctx context.Context, p Payout) (payout.Observation, error)
}

// Registry holds the configured providers by name.
type Registry map[string]Provider

// ErrNotConfigured is returned for a provider payops has no credentials for.
var ErrNotConfigured = errors.New("provider not configured")

// Get returns the provider called name, or ErrNotConfigured.
func (r Registry) Get(name string) (Provider, error) {
	p, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotConfigured, name)
	}
	return p, nil
}

// Kind classifies a provider failure by what payops should do about it.
type Kind string

// The kinds of provider failure.
const (
	// Transient: timeouts, 429 and 5xx. Safe calls may be retried.
	Transient Kind = "transient"
	// Credentials: 401 and 403. Stop and alert; never retry.
	Credentials Kind = "credentials"
	// Request: any other 4xx. The request itself is wrong; manual review.
	Request Kind = "request"
	// NotFound: the provider has no such payout.
	NotFound Kind = "not_found"
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
	case code == 429 || code >= 500:
		return Transient
	default:
		return Request
	}
}
