package views

// Settings is the settings index: the settings the signed-in role may
// change, each with what it holds now.
type Settings struct {
	Meta
	Users  *SettingsCard // nil when the role may not manage users
	Tokens *SettingsCard // nil when the role may not manage API tokens
	Notify *SettingsCard // nil when the role may not configure notifications
	// Webhooks is nil when the role may not manage outbound webhooks.
	Webhooks *SettingsCard
}

// SettingsCard is one section of the settings index.
type SettingsCard struct {
	Summary string // "5 users: 4 can sign in, 1 awaits a password"
}

// Users is the users page: every user, the form that adds one, and after an
// action what it did.
type Users struct {
	Meta
	Rows    []UserRow
	Roles   []Option
	Form    NewUserForm
	Errors  map[string]string // per field of the add form: email, name, role, how, password
	Added   *NewLink          // a user just added, or a link just made: shown on this page once
	Notice  string            // what the last action did, after its redirect
	Problem string            // why an action was refused (the page is 409 or 422 then)
	LinkTTL string            // "72 h"
	MinPass int               // the fewest characters of a password
}

// NewUserForm is the add-user form as it was typed; never the password.
type NewUserForm struct {
	Email string
	Name  string
	Role  string
	How   string // "link" or "password"
}

// NewLink is a user just added or given a new set-password link: the link is
// on this page once and never again.
type NewLink struct {
	Name    string
	Email   string
	Role    string
	Link    string // the set-password link; "" when the admin set a password
	Expires string
	Again   bool // a new link for a user who was there already
	// Wait says, for a four-eyes role, that it decides only after
	// payout.GrantWait; "" otherwise.
	Wait string
}

// UserRow is one user of the users page and what the admin may do to them.
type UserRow struct {
	ID         string
	Name       string
	Email      string
	Role       string
	State      string // "active", "disabled", "invited", "link-expired"
	StateLabel string
	StateNote  string // "link expires 2026-11-23 10:00 UTC", "since …"
	LastSignIn string
	Self       bool   // the signed-in admin: nothing here disables them or changes their role
	ActionURL  string // /settings/users/{id}: + "/role", "/disable", "/enable", "/link"
	Error      string // a bad value posted for this row (422)
}

// Tokens is the API tokens page: active and revoked tokens, the form that
// creates one, and a token just created with its secret, once.
type Tokens struct {
	Meta
	Active      []TokenRow
	Revoked     []TokenRow
	Scopes      []ScopeChoice
	Form        TokenForm
	Errors      map[string]string // per field: name, scope, rate, allow
	Created     *NewToken
	Notice      string
	Problem     string // why the form was refused (the page is 422 then)
	DefaultRate string // "50/s (PAYOPS_API_RATE)"
	APIBase     string // "http://127.0.0.1:8080", for the example
}

// ScopeChoice is one scope a token may have, explained.
type ScopeChoice struct {
	Value       string
	Description string
}

// TokenForm is the create-token form as it was typed.
type TokenForm struct {
	Name  string
	Scope string
	Rate  string
	Allow string
}

// NewToken is a token just created: its secret is on this page once and
// never again (only its hash is kept).
type NewToken struct {
	Name    string
	Scope   string
	Secret  string
	Example string // a curl command using it
}

// TokenRow is one API token, without its secret.
type TokenRow struct {
	ID        string
	Name      string
	Scope     string
	Prefix    string
	Created   string
	LastUsed  string
	State     string // "active" or "revoked"
	Revoked   string // when
	Rate      string // "50/s (default)" or "10/s"
	AllowFrom string // "anywhere" or the networks
	RevokeURL string // the confirmation page
}

// RevokeToken is the page that confirms revoking a token.
type RevokeToken struct {
	Meta
	Token TokenRow
}

// SetPassword is the public page a set-password link opens.
type SetPassword struct {
	Meta
	Name    string
	Email   string
	Action  string            // where the form posts: the link itself
	Errors  map[string]string // per field: password, confirm
	MinPass int
	Refusal string // why the link cannot be used (the page is 404 or 410 then, with no form)
}
