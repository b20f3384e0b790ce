package payout

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinPasswordLength is the fewest characters a dashboard password has.
const MinPasswordLength = 12

// maxPasswordBytes is bcrypt's limit: it reads no further, so a longer
// password would only seem stronger.
const maxPasswordBytes = 72

// PasswordLinkTTL is how long a set-password link works after an admin
// makes it; it works once.
const PasswordLinkTTL = 72 * time.Hour

// CheckPassword returns why pw cannot be a dashboard password, or nil: it
// has at least MinPasswordLength characters and at most 72 bytes (bcrypt's
// limit), and no control characters. The command line and the set-password
// page both apply it.
func CheckPassword(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		return fmt.Errorf("the password must be at least %d characters (it has %d)", MinPasswordLength, n)
	case len(pw) > maxPasswordBytes:
		return fmt.Errorf("the password must be at most %d bytes (it has %d)", maxPasswordBytes, len(pw))
	case !utf8.ValidString(pw) || containsControl(pw):
		return fmt.Errorf("the password may not contain control characters")
	}
	return nil
}

func containsControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// UserChange is a change to a dashboard user as the rules about who may make
// it see it.
type UserChange struct {
	BySelf       bool // the user changes themselves
	Role         Role // the user's role before the change
	Active       bool // the user may sign in before the change
	Disable      bool // the change disables the user
	NewRole      Role // the role the change gives; "" when it keeps the role
	ActiveAdmins int  // users with role admin who may sign in, this one included
}

// RefuseUserChange returns why the change may not be made, or "" when it
// may. Nobody disables themselves or changes their own role (another admin
// does), and the last admin who may sign in stays one: without an admin no
// one could add users, change roles or make API tokens from the dashboard.
func RefuseUserChange(c UserChange) string {
	roleChanges := c.NewRole != "" && c.NewRole != c.Role
	switch {
	case c.BySelf && c.Disable:
		return "you cannot disable yourself: another admin can"
	case c.BySelf && roleChanges:
		return "you cannot change your own role: another admin can"
	case c.Role == RoleAdmin && c.Active && (c.Disable || roleChanges) && c.ActiveAdmins <= 1:
		return "this is the last admin who can sign in: make another user admin first"
	}
	return ""
}

// LinkState is what decides whether a set-password link still works,
// besides its expiry.
type LinkState struct {
	Used         bool // a password was set with it
	Replaced     bool // a newer link was made for the same user, or they were disabled since
	UserDisabled bool
}

// LinkRefusal returns why a set-password link in state s, expiring at
// expires, cannot set a password at at, or "" when it can: a link works
// once, until it expires, unless a newer one replaced it, and never for a
// disabled user. The store enforces it; the set-password page explains it.
func LinkRefusal(s LinkState, expires, at time.Time) string {
	switch {
	case s.Used:
		return "this link was used already: sign in with the password you set, or ask an admin for a new link"
	case s.Replaced:
		return "this link was withdrawn: an admin made a newer link for you, or disabled your account since; use the newest link, or ask for a new one"
	case !at.Before(expires):
		return "this link has expired: ask an admin for a new one"
	case s.UserDisabled:
		return "your account is disabled: ask an admin"
	}
	return ""
}

// maxEmail is the longest address SMTP carries.
const maxEmail = 254

// ParseEmail returns a user's email, trimmed, or why it cannot be one: a
// bare address (name@example.com) of at most 254 characters.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	switch {
	case s == "":
		return "", fmt.Errorf("enter their email: they sign in with it")
	case len(s) > maxEmail:
		return "", fmt.Errorf("an email has at most %d characters", maxEmail)
	case err != nil || a.Address != s || a.Name != "":
		return "", fmt.Errorf("enter a plain address such as name@example.com")
	}
	return s, nil
}

// maxUserName bounds a user's name, as shown in lists and the audit log.
const maxUserName = 200

// ParseUserName returns a user's name, trimmed, or why it cannot be one: 1
// to 200 characters of plain text.
func ParseUserName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", fmt.Errorf("enter their name, as colleagues know them")
	case n > maxUserName:
		return "", fmt.Errorf("a name has at most %d characters (this has %d)", maxUserName, n)
	case !utf8.ValidString(s) || containsControl(s):
		return "", fmt.Errorf("the name may not contain control characters")
	}
	return s, nil
}
