package views

// NotifySettingsPage is /settings/notifications: per kind of condition, how
// people are told.
type NotifySettingsPage struct {
	Meta
	Kinds     []NotifyKindForm
	EmailFrom string // the address notices are sent from; "" when PAYOPS_SMTP_URL is not set
}

// NotifyKindForm is one kind of condition's settings form.
type NotifyKindForm struct {
	Kind          string
	Label         string
	Recipients    string   // "finance", "the hold's owner, then its escalation owner"
	Email         bool     // email on
	ChatMasked    []string // the chat webhooks set, masked
	Chat          string   // the URLs typed, given back on a refused form only
	Reminder      string   // minutes
	HasThresholds bool
	CountLabel    string // what the count threshold counts
	MinutesLabel  string
	Count         string
	Minutes       string
	Errors        map[string]string // per field: chat, reminder, threshold_count, threshold_minutes
	Updated       string            // "Changed by admin@example.com, 2026-12-02 10:00:00 UTC."
	Notice        string            // "Saved.", after its redirect
	Problem       string            // why the form was refused (the page is 422 then)
	ActionURL     string
	TestURL       string
}

// NotificationsPage is /notifications: the notifications log, newest first.
type NotificationsPage struct {
	Meta
	Rows      []NotificationRow
	Total     int
	Notice    string
	NewerHref string
	OlderHref string
}

// NotificationRow is one notice of the log.
type NotificationRow struct {
	ID        string
	Time      string // in the user's time zone
	Condition string // the kind's label
	Key       string // the condition's key
	Notice    string // started, reminder, cleared, one-off, test
	Subject   string
	Channel   string
	Recipient string // an email address, or a masked chat webhook
	Outcome   string // pending, sent, failed, abandoned
	Attempts  string
	Error     string
}
