package adapters

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"unicode/utf8"
)

// HMACHex returns the lowercase hex HMAC-SHA256 of body with secret, the
// webhook signature scheme NxtBanking, RazorpayX and Paywize share.
func HMACHex(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyHMACHex reports, in constant time, whether sig is the HMACHex of
// body under any of secrets (more than one while a secret is rotated). An
// empty signature or secret never verifies.
func VerifyHMACHex(secrets [][]byte, body []byte, sig string) bool {
	if sig == "" {
		return false
	}
	ok := false
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		if hmac.Equal([]byte(HMACHex(s, body)), []byte(sig)) {
			ok = true
		}
	}
	return ok
}

// EqualToken compares a presented token with the configured one in constant
// time, as it is, with nothing trimmed.
func EqualToken(configured, presented string) bool {
	if configured == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(configured), []byte(presented)) == 1
}

// ErrListUnsupported is returned by List for providers that document no way
// to list payouts by time; their day-end side comes from an uploaded
// settlement report.
var ErrListUnsupported = errors.New("the provider documents no payout listing by time: upload its settlement report")

// BasicAuth returns an Authorization header value for user and password.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// Clip shortens s to at most n bytes for a provider's field limit, never
// splitting a UTF-8 character.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
