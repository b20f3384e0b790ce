package payout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Outbound webhooks to the platform, after the Standard Webhooks
// specification (standardwebhooks.com): the secret format, the signature,
// the event types, the retry schedule and which endpoint addresses payops
// may call.

// The outbound event types. A payout event's data is the payout as
// GET /api/v1/payouts/{ref} shows it when the change was committed.
const (
	EventPayoutCreated    = "payout.created"
	EventPayoutHeld       = "payout.held"
	EventPayoutProcessing = "payout.processing"
	EventPayoutSucceeded  = "payout.succeeded"
	EventPayoutFailed     = "payout.failed"
	EventPayoutCancelled  = "payout.cancelled"
	EventPayoutReversed   = "payout.reversed"
	EventPayoutUpdated    = "payout.updated"
	EventHoldReleased     = "hold.released"
	EventHoldRejected     = "hold.rejected"
	EventReconDifferences = "reconciliation.differences_found"
	EventReconSignedOff   = "reconciliation.signed_off"
	EventWebhookTest      = "webhook.test" // sent to one endpoint on an admin's request only
)

// EventTypes lists the event types an endpoint may subscribe to, in the
// order pages show them.
var EventTypes = []string{
	EventPayoutCreated, EventPayoutHeld, EventPayoutProcessing, EventPayoutSucceeded, EventPayoutFailed,
	EventPayoutCancelled, EventPayoutReversed, EventPayoutUpdated, EventHoldReleased, EventHoldRejected,
	EventReconDifferences, EventReconSignedOff,
}

const (
	// RotationOverlap is how long a rotated-out secret still signs
	// deliveries beside the new one.
	RotationOverlap = 24 * time.Hour
	// EndpointFailingLimit is how long an endpoint may fail every delivery
	// before it is disabled.
	EndpointFailingLimit = 72 * time.Hour
	// EndpointFailingNotice is how long an endpoint fails every delivery
	// before its owner and the admins are told (CondEndpointDisabled), long
	// before it is disabled: the platform is not hearing of its payouts.
	EndpointFailingNotice = time.Hour
)

const (
	secretPrefix     = "whsec_"
	minSecretBytes   = 24 // the specification's bounds
	maxSecretBytes   = 64
	newSecretBytes   = 32
	signatureVersion = "v1"
)

// ChangeEvent returns the event type announcing what applying an
// observation did to a payout in from, now in to, deciding d: its state's
// event when it moved (StatusEvent); payout.updated when it stayed and the
// observation taught payops details the platform reads in the payout (the
// bank's UTR, the fee, failure details, the provider's id: learned), as
// RazorpayX's own payout.updated when the UTR arrives after the payout was
// processed; "" otherwise (a repeat tells the platform nothing).
func ChangeEvent(from, to Status, d Decision, learned bool) string {
	if from != to {
		event, _ := StatusEvent(to)
		return event
	}
	if d == Merge && learned {
		return EventPayoutUpdated
	}
	return ""
}

// StatusEvent returns the event type announcing that a payout moved to s,
// and false for a state that has none (QUEUED: a payout.created or a
// hold.released says so).
func StatusEvent(s Status) (string, bool) {
	switch s {
	case Held:
		return EventPayoutHeld, true
	case Processing:
		return EventPayoutProcessing, true
	case Succeeded:
		return EventPayoutSucceeded, true
	case Failed:
		return EventPayoutFailed, true
	case Cancelled:
		return EventPayoutCancelled, true
	case Reversed:
		return EventPayoutReversed, true
	}
	return "", false
}

// ParseEventTypes parses a comma-separated list of event types ("" is every
// type) and returns them sorted and without repeats, or an error naming an
// unknown one.
func ParseEventTypes(list string) ([]string, error) {
	out := []string{}
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(EventTypes, t) {
			return nil, fmt.Errorf("unknown event type %q (one of %s)", t, strings.Join(EventTypes, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Subscribes reports whether an endpoint subscribed to events (none is
// every type) receives an event of type typ.
func Subscribes(events []string, typ string) bool {
	return len(events) == 0 || slices.Contains(events, typ)
}

// NewWebhookSecret returns a new random signing secret as whsec_<base64>.
func NewWebhookSecret() string {
	b := make([]byte, newSecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseWebhookSecret returns the key bytes of a whsec_<base64> secret, or an
// error when it is not one or its key is shorter than 24 bytes or longer
// than 64.
func ParseWebhookSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("a webhook secret starts with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("webhook secret: %d bytes, want %d to %d", len(key), minSecretBytes, maxSecretBytes)
	}
	return key, nil
}

// SignWebhook returns the webhook-signature value for a message: one
// "v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>" per secret, space
// separated (two while a rotated-out secret still signs). It returns an
// error for a secret that does not parse.
func SignWebhook(secrets []string, id string, at time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := ParseWebhookSecret(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
		mac.Write(body)
		sigs = append(sigs, signatureVersion+","+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// SigningSecrets returns the secrets that sign a delivery at now: the
// current one, and the previous one until its overlap ends.
func SigningSecrets(current string, previous *string, previousUntil *time.Time, now time.Time) []string {
	out := []string{current}
	if previous != nil && *previous != "" && previousUntil != nil && now.Before(*previousUntil) {
		out = append(out, *previous)
	}
	return out
}
