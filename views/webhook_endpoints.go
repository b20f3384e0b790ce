package views

// WebhookEndpoints is the outbound webhooks page: the platform's endpoints,
// the form that adds one and, once, a new endpoint's secret.
type WebhookEndpoints struct {
	Meta
	Rows         []EndpointRow
	EventTypes   []string
	Form         EndpointForm
	Errors       map[string]string // per field of the add form: url, events
	Created      *NewSecret        // an endpoint just added: its secret is on this page once
	Problem      string            // why the form was refused (422)
	AllowPrivate bool              // PAYOPS_WEBHOOK_ALLOW_PRIVATE=1: http and private addresses are allowed
}

// EndpointForm is the add-endpoint form as it was typed.
type EndpointForm struct {
	URL         string
	Description string
	Events      map[string]bool
	Test        bool // a test endpoint: test payouts' events only
}

// NewSecret is an endpoint's secret, shown on one page once: when the
// endpoint is added or its secret rotated.
type NewSecret struct {
	EndpointID    string
	URL           string
	Secret        string
	Rotated       bool
	PreviousUntil string // when the rotated-out secret stops signing
}

// EndpointRow is one endpoint, without its secret.
type EndpointRow struct {
	ID          string
	URL         string
	Description string
	Events      string // "every event" or the types, comma-separated
	Enabled     bool
	State       string // "enabled" or "disabled"
	StateNote   string // why and since when it is disabled, or since when it fails
	Created     string
	Pending     string
	PageURL     string
	Test        bool // a test endpoint
}

// WebhookEndpoint is one endpoint's page: what it is, its actions and its
// delivery log.
type WebhookEndpoint struct {
	Meta
	Endpoint   EndpointRow
	Secret     *NewSecret // a secret just rotated: shown once
	Notice     string     // what the last action did, after its redirect
	Rotation   string     // "the previous secret also signs until …", while it does
	ActionURL  string     // /settings/webhooks/{id}: + "/rotate", "/disable", "/enable", "/test"
	Deliveries []OutboundRow
}

// OutboundRow is one event's delivery to the endpoint with its attempts.
type OutboundRow struct {
	ID           string
	WebhookID    string
	Type         string
	Payout       string // the payout's reference; "" for other events
	PayoutURL    string
	State        string // pending, delivered, failed
	Attempts     string
	Next         string // when the next attempt is due, while pending
	Why          string // why it was given up, once failed
	Created      string
	RedeliverURL string
	Tries        []AttemptRow
}

// AttemptRow is one attempt: when, the answer's status, how long it took,
// and the first 1 KiB of the answer or the error.
type AttemptRow struct {
	At       string
	Status   string // "204", or "no answer"
	OK       bool
	Latency  string
	Response string
	Error    string
}
