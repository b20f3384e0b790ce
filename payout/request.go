package payout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// TaxArtifact is the readiness of a beneficiary's tax document, as the
// platform reports it. Only present lets money go.
type TaxArtifact string

// The tax artifact states.
const (
	TaxPresent     TaxArtifact = "present"
	TaxMissing     TaxArtifact = "missing"
	TaxExpired     TaxArtifact = "expired"
	TaxUnderReview TaxArtifact = "under_review"
)

// TaxArtifacts lists every tax artifact state.
var TaxArtifacts = []TaxArtifact{TaxPresent, TaxMissing, TaxExpired, TaxUnderReview}

// ParseTaxArtifact returns the state named s or an error naming the valid ones.
func ParseTaxArtifact(s string) (TaxArtifact, error) {
	for _, t := range TaxArtifacts {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("must be one of present, missing, expired, under_review")
}

// Modes are the payment rails a payout may ask for; "" lets the provider
// choose.
var Modes = []string{"IMPS", "NEFT", "RTGS", "UPI", "BANK_TRANSFER"}

// Beneficiary is who a payout pays, as the platform sent it.
type Beneficiary struct {
	Name          string      `json:"name"`
	AccountNumber string      `json:"-"` // never stored in the intake record; compared with the beneficiary row
	IFSC          string      `json:"ifsc"`
	BankCode      string      `json:"bank_code"`
	BankName      string      `json:"bank_name"`
	TaxArtifact   TaxArtifact `json:"tax_artifact"`
}

// Request is a checked payout request: what the platform asked for, in
// payops' types. Its JSON form (without the account number) is kept with the
// payout so a repeated reference_id can be compared field by field.
type Request struct {
	ReferenceID string          `json:"reference_id"`
	Provider    string          `json:"provider"`
	AmountMinor int64           `json:"amount_minor"`
	Currency    string          `json:"currency"`
	Mode        string          `json:"mode"`
	Narration   string          `json:"narration"`
	Market      string          `json:"market"`
	Program     string          `json:"program,omitempty"` // "" in requests stored before programs: the default
	Beneficiary Beneficiary     `json:"beneficiary"`
	Metadata    json.RawMessage `json:"metadata"`
}

// ProgramOrDefault returns the request's program, DefaultProgram when none
// is named.
func (r Request) ProgramOrDefault() string {
	if r.Program == "" {
		return DefaultProgram
	}
	return r.Program
}

// Amount returns the requested amount.
func (r Request) Amount() Money { return Money{Minor: r.AmountMinor, Currency: r.Currency} }

// RawRequest is a payout request as the API decodes it, before any check.
// Amount stays raw JSON so a number (which loses exactness in most clients)
// is refused with a message rather than a decoding error.
type RawRequest struct {
	ReferenceID string          `json:"reference_id"`
	Provider    string          `json:"provider"`
	Amount      json.RawMessage `json:"amount"`
	Currency    string          `json:"currency"`
	Mode        string          `json:"mode"`
	Narration   string          `json:"narration"`
	Market      string          `json:"market"`
	Program     string          `json:"program"`
	Beneficiary struct {
		Name          string `json:"name"`
		AccountNumber string `json:"account_number"`
		IFSC          string `json:"ifsc"`
		BankCode      string `json:"bank_code"`
		BankName      string `json:"bank_name"`
		TaxArtifact   string `json:"tax_artifact"`
	} `json:"beneficiary"`
	Metadata json.RawMessage `json:"metadata"`
}

// ReservedReferences are the references that name a dashboard page under
// /payouts/ (the stuck list), so a payout of that reference could never be
// opened: intake refuses them.
var ReservedReferences = []string{"stuck"}

// FieldErrors maps a request field ("beneficiary.account_number") to what
// is wrong with it.
type FieldErrors map[string]string

var (
	referencePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$`)
	accountPattern   = regexp.MustCompile(`^[A-Za-z0-9]{5,34}$`)
	ifscPattern      = regexp.MustCompile(`^[A-Z]{4}0[A-Z0-9]{6}$`)
	bankCodePattern  = regexp.MustCompile(`^[A-Za-z0-9_]{2,20}$`)
)

// Limits of an intake request's free-text fields.
const (
	MaxNarration = 140
	MaxName      = 140
	MaxMetadata  = 4096
	// MaxMetadataDepth bounds metadata's nesting: 4 KiB of brackets nest
	// 2,000 deep, which a platform's JSON reader (Python's, for one) cannot
	// read back from the list or an event.
	MaxMetadataDepth = 16
)

// Check validates raw against the payout providers payops is configured for
// and returns the request, or one message per bad field. Missing beneficiary
// name or routing code is not an error here: the beneficiary gate holds such
// payouts with evidence, so the platform can see why. A missing account
// number is, since no gate can ever pass without one.
func (raw RawRequest) Check(providers []string) (Request, FieldErrors) {
	return raw.check(providers, true)
}

// CheckRecorded is Check for a request whose reference is recorded already,
// without the rules added since payouts were first taken (a market on the
// ISO 3166 list rather than any two capital letters, no invisible formatting
// characters, metadata at most MaxMetadataDepth deep): a platform repeating
// a payout recorded before them is answered with that payout (or a 409
// naming what differs), never a 422, which would say nothing was recorded
// and invite the same payout again under another reference.
func (raw RawRequest) CheckRecorded(providers []string) (Request, FieldErrors) {
	return raw.check(providers, false)
}

// check is Check, with the newer rules when strict.
func (raw RawRequest) check(providers []string, strict bool) (Request, FieldErrors) {
	errs := FieldErrors{}
	r := Request{
		ReferenceID: strings.TrimSpace(raw.ReferenceID),
		Provider:    strings.TrimSpace(raw.Provider),
		Currency:    strings.TrimSpace(raw.Currency),
		Mode:        strings.TrimSpace(raw.Mode),
		Narration:   strings.TrimSpace(raw.Narration),
		Market:      strings.TrimSpace(raw.Market),
		Program:     strings.TrimSpace(raw.Program),
		Beneficiary: Beneficiary{
			Name:          strings.TrimSpace(raw.Beneficiary.Name),
			AccountNumber: strings.TrimSpace(raw.Beneficiary.AccountNumber),
			IFSC:          strings.TrimSpace(raw.Beneficiary.IFSC),
			BankCode:      strings.TrimSpace(raw.Beneficiary.BankCode),
			BankName:      strings.TrimSpace(raw.Beneficiary.BankName),
		},
	}
	switch {
	case r.ReferenceID == "":
		errs["reference_id"] = "is required"
	case !referencePattern.MatchString(r.ReferenceID):
		errs["reference_id"] = "must be 1 to 40 letters, digits, or _ . : - (it is the idempotency key at the provider)"
	case slices.Contains(ReservedReferences, r.ReferenceID):
		errs["reference_id"] = fmt.Sprintf("%q is reserved: the dashboard's page /payouts/%s is not a payout's", r.ReferenceID, r.ReferenceID)
	}
	switch {
	case r.Provider == "":
		errs["provider"] = "is required"
	case !slices.Contains(providers, r.Provider):
		errs["provider"] = unknownProvider(r.Provider, providers)
	}
	exp, curErr := Exponent(r.Currency)
	switch {
	case r.Currency == "":
		errs["currency"] = "is required"
	case curErr != nil:
		errs["currency"] = fmt.Sprintf("unknown currency %q: use an ISO 4217 code payops pays in, such as INR or IDR", Echo(r.Currency))
	}
	if msg := r.checkAmount(raw.Amount, exp, curErr == nil); msg != "" {
		errs["amount"] = msg
	}
	if r.Mode != "" && !slices.Contains(Modes, r.Mode) {
		errs["mode"] = fmt.Sprintf("unknown mode %q: use one of %s, or leave it out", Echo(r.Mode), strings.Join(Modes, ", "))
	}
	if len([]rune(r.Narration)) > MaxNarration {
		errs["narration"] = fmt.Sprintf("is longer than %d characters", MaxNarration)
	}
	switch {
	case r.Market == "":
		errs["market"] = "is required (ISO 3166 country code, such as IN)"
	case strict && !IsCountry(r.Market), !twoCapitals(r.Market):
		errs["market"] = fmt.Sprintf("%q is not an ISO 3166 country code such as IN or ID", Echo(r.Market))
	}
	if r.Program == "" {
		r.Program = DefaultProgram
	} else if !programPattern.MatchString(r.Program) {
		errs["program"] = fmt.Sprintf("%q is not a program name: lower-case letters, digits, - and _ (sellers), or leave it out for %s",
			Echo(r.Program), DefaultProgram)
	}
	b := r.Beneficiary
	for field, v := range map[string]string{"beneficiary.name": b.Name, "beneficiary.bank_name": b.BankName} {
		if len([]rune(v)) > MaxName {
			errs[field] = fmt.Sprintf("is longer than %d characters", MaxName)
		}
	}
	if b.BankCode != "" && !bankCodePattern.MatchString(b.BankCode) {
		errs["beneficiary.bank_code"] = "must be 2 to 20 letters, digits or _ (BCA, MANDIRI)"
	}
	switch {
	case b.AccountNumber == "":
		errs["beneficiary.account_number"] = "is required"
	case !accountPattern.MatchString(b.AccountNumber):
		errs["beneficiary.account_number"] = "must be 5 to 34 letters or digits, without spaces"
	}
	if b.IFSC != "" && !ifscPattern.MatchString(b.IFSC) {
		errs["beneficiary.ifsc"] = "is not an IFSC code: 4 letters, a zero, then 6 letters or digits (HDFC0001234)"
	}
	if tax, err := ParseTaxArtifact(strings.TrimSpace(raw.Beneficiary.TaxArtifact)); err != nil {
		if raw.Beneficiary.TaxArtifact == "" {
			errs["beneficiary.tax_artifact"] = "is required: present, missing, expired or under_review"
		} else {
			errs["beneficiary.tax_artifact"] = err.Error()
		}
	} else {
		r.Beneficiary.TaxArtifact = tax
	}
	if msg := r.checkMetadata(raw.Metadata, strict); msg != "" {
		errs["metadata"] = msg
	}
	for field, v := range map[string]string{"reference_id": raw.ReferenceID, "provider": raw.Provider, "currency": raw.Currency,
		"mode": raw.Mode, "narration": raw.Narration, "market": raw.Market, "program": raw.Program, "beneficiary.name": raw.Beneficiary.Name,
		"beneficiary.account_number": raw.Beneficiary.AccountNumber, "beneficiary.ifsc": raw.Beneficiary.IFSC,
		"beneficiary.bank_code": raw.Beneficiary.BankCode, "beneficiary.bank_name": raw.Beneficiary.BankName,
		"beneficiary.tax_artifact": raw.Beneficiary.TaxArtifact} {
		if HasControl(v) {
			errs[field] = "contains control characters"
		} else if why := InvisibleRefusal(v); why != "" && strict {
			errs[field] = why
		}
	}
	if len(errs) > 0 {
		return Request{}, errs
	}
	return r, nil
}

// unknownProvider says what is wrong with a provider a request names that
// is not among those its token may send to here.
func unknownProvider(provider string, providers []string) string {
	if len(providers) == 0 {
		return fmt.Sprintf("unknown provider %q: no provider this token may send to is configured here", Echo(provider))
	}
	return fmt.Sprintf("unknown provider %q: use one of %s", Echo(provider), strings.Join(providers, ", "))
}

func (r *Request) checkAmount(raw json.RawMessage, exp int, currencyKnown bool) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "is required"
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return `must be a decimal string in major units, such as "1250.00", not a JSON number`
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return "must be greater than zero"
	}
	if !currencyKnown {
		return "" // the currency's own message says it
	}
	m, err := ParseMoney(s, r.Currency)
	if err != nil {
		if whole, frac, _ := strings.Cut(s, "."); digits(whole) && digits(frac) && len(frac) > exp {
			return fmt.Sprintf("%q has more decimals than %s has (%d)", Echo(s), r.Currency, exp)
		}
		return err.Error()
	}
	if m.Minor <= 0 {
		return "must be greater than zero"
	}
	if m.Minor > MaxSettlementMinor {
		// The bound of a settlement row too: a day's totals of such
		// payouts stay within 64 bits.
		return fmt.Sprintf("%q is more than payops takes in one payout (%s)", Echo(s),
			Money{Minor: MaxSettlementMinor, Currency: r.Currency}.Decimal())
	}
	r.AmountMinor = m.Minor
	return ""
}

func (r *Request) checkMetadata(raw json.RawMessage, strict bool) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		r.Metadata = json.RawMessage(`{}`)
		return ""
	}
	if len(raw) > MaxMetadata {
		return fmt.Sprintf("is larger than %d bytes", MaxMetadata)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers are checked below, for what jsonb holds
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return "must be a JSON object"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "must be a JSON object"
	}
	if why := jsonbRefuses(buf.Bytes()); why != "" {
		return why
	}
	if why := numbersOutOfRange(obj); why != "" {
		return why
	}
	if strict && jsonDepth(buf.Bytes()) > MaxMetadataDepth {
		return fmt.Sprintf("is nested deeper than %d levels of objects and arrays", MaxMetadataDepth)
	}
	r.Metadata = buf.Bytes()
	return ""
}

// Differs returns the first field in which r and prior, the request that
// first used the reference id, differ, or "" when they ask for the same
// payout. Metadata is compared as JSON values, not bytes.
func (r Request) Differs(prior Request) string {
	fields := []struct {
		name      string
		this, was any
	}{
		{"provider", r.Provider, prior.Provider},
		{"amount", r.AmountMinor, prior.AmountMinor},
		{"currency", r.Currency, prior.Currency},
		{"mode", r.Mode, prior.Mode},
		{"narration", r.Narration, prior.Narration},
		{"market", r.Market, prior.Market},
		{"program", r.ProgramOrDefault(), prior.ProgramOrDefault()},
		{"beneficiary.name", r.Beneficiary.Name, prior.Beneficiary.Name},
		{"beneficiary.account_number", r.Beneficiary.AccountNumber, prior.Beneficiary.AccountNumber},
		{"beneficiary.ifsc", r.Beneficiary.IFSC, prior.Beneficiary.IFSC},
		{"beneficiary.bank_code", r.Beneficiary.BankCode, prior.Beneficiary.BankCode},
		{"beneficiary.bank_name", r.Beneficiary.BankName, prior.Beneficiary.BankName},
		{"beneficiary.tax_artifact", r.Beneficiary.TaxArtifact, prior.Beneficiary.TaxArtifact},
	}
	for _, f := range fields {
		if f.this != f.was {
			return f.name
		}
	}
	if !reflect.DeepEqual(jsonValue(r.Metadata), jsonValue(prior.Metadata)) {
		return "metadata"
	}
	return ""
}

// IsText reports whether s is valid UTF-8 without NUL: what PostgreSQL
// stores as text.
func IsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
