package payout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// DefaultProgram is the program of a market's document when none is named:
// payouts carry no program yet, so the default program's document decides
// whether a market is live.
const DefaultProgram = "default"

// LaunchDoc is a market's launch document for one program: who owns what,
// which gates and artifacts apply, the review thresholds and approval rules,
// and the settlement path users are promised. Amounts are decimal strings in
// major units, as the JSON has them (never floats); Parse checks them and
// writes them in their currency's exact form.
type LaunchDoc struct {
	Market               string            `json:"market"`
	Program              string            `json:"program"`
	Live                 bool              `json:"live"`
	Owners               Owners            `json:"owners"`
	Gates                []Reason          `json:"gates,omitempty"`
	TaxArtifactsRequired *bool             `json:"tax_artifacts_required,omitempty"`
	HoldReasons          []HoldRule        `json:"hold_reasons,omitempty"`
	ReviewThresholds     map[string]string `json:"review_thresholds,omitempty"`
	Approvals            []ApprovalRule    `json:"approvals,omitempty"`
	Settlement           Settlement        `json:"settlement"`
}

// Owners are the payops users (by email) a market's cases go to.
type Owners struct {
	PayoutSupport    string `json:"payout_support"`
	UserRecovery     string `json:"user_recovery"`
	BlockedPayouts   string `json:"blocked_payouts"`
	IncidentResponse string `json:"incident_response"`
}

// HoldRule is a hold reason used in a market and what must be attached to
// such a hold before it is released.
type HoldRule struct {
	Reason          Reason `json:"reason"`
	UnblockEvidence string `json:"unblock_evidence"`
}

// ApprovalRule says how many compliance approvals, by different people, an
// amount at or above AtOrAbove in Currency needs.
type ApprovalRule struct {
	Currency  string `json:"currency"`
	AtOrAbove string `json:"at_or_above"`
	Approvers int    `json:"approvers"`
	// Bulk allows these approvals from the holds queue's bulk action; without
	// it each is given on the payout's page, where the earlier note is shown.
	Bulk bool `json:"bulk,omitempty"`
}

// Settlement is the path money takes in a market and what users are told.
type Settlement struct {
	Rail           string `json:"rail"` // fiat or stablecoin
	PostingWindow  string `json:"posting_window"`
	FeeTreatment   string `json:"fee_treatment"`
	CompletedMeans string `json:"completed_means"`
	ExceptionPath  string `json:"exception_path"`
}

// The settlement rails.
const (
	RailFiat       = "fiat"
	RailStablecoin = "stablecoin"
)

// Key returns "IN/default": the market and program a document is for.
func (d LaunchDoc) Key() string { return d.Market + "/" + d.Program }

// FieldError is a launch document's problem with the field it is in, named
// as in the JSON ("owners.blocked_payouts", "approvals[0].approvers").
type FieldError struct {
	Doc   string // "IN/default", or "" when the document could not be read
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	where := e.Field
	if e.Doc != "" {
		where = e.Doc + ": " + e.Field
	}
	return where + ": " + e.Msg
}

var (
	programPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	emailPattern   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// ParseLaunchDocs reads one launch document (a JSON object) or several (an
// array) and validates each (LaunchDoc.Validate). Unknown fields are
// refused, so a misspelt field is not silently ignored. The error is a
// *FieldError naming the field, and the document by its place in an array
// when it is not known yet.
func ParseLaunchDocs(data []byte) ([]LaunchDoc, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &FieldError{Field: "document", Msg: "empty: give a JSON object or an array of them"}
	}
	var raws []json.RawMessage
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, &FieldError{Field: "document", Msg: "not a JSON array of objects: " + err.Error()}
		}
	} else {
		raws = []json.RawMessage{trimmed}
	}
	docs := make([]LaunchDoc, 0, len(raws))
	seen := map[string]int{}
	for i, raw := range raws {
		doc, err := parseLaunchDoc(raw)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) && fe.Doc == "" && len(raws) > 1 {
				fe.Doc = fmt.Sprintf("document %d", i+1)
			}
			return nil, err
		}
		if j, ok := seen[doc.Key()]; ok {
			return nil, &FieldError{Doc: doc.Key(), Field: "market", Msg: fmt.Sprintf("documents %d and %d are both for %s",
				j+1, i+1, doc.Key())}
		}
		seen[doc.Key()] = i
		docs = append(docs, doc)
	}
	return docs, nil
}

func parseLaunchDoc(raw []byte) (LaunchDoc, error) {
	// The document is kept as JSONB, which refuses some of what JSON may
	// write (\u0000 in any field, an email's or a settlement note's).
	if why := jsonbRefuses(raw); why != "" {
		return LaunchDoc{}, &FieldError{Field: "document", Msg: why}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var doc LaunchDoc
	if err := dec.Decode(&doc); err != nil {
		return LaunchDoc{}, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return LaunchDoc{}, &FieldError{Field: "document", Msg: "has something after its closing brace"}
	}
	if err := doc.Validate(); err != nil {
		return LaunchDoc{}, err
	}
	return doc, nil
}

// decodeError names the field a JSON decoding error is about.
func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		msg := "must be a " + typeErr.Type.String() + ", not a " + typeErr.Value
		if typeErr.Type.String() == "string" && typeErr.Value == "number" {
			msg = "must be a string: amounts are decimal strings such as \"200000.00\", never numbers"
		}
		return &FieldError{Field: typeErr.Field, Msg: msg}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &FieldError{Field: strings.Trim(field, `"`), Msg: "is not a field of a launch document"}
	}
	return &FieldError{Field: "document", Msg: "is not a JSON object: " + err.Error()}
}

type ownerField struct {
	name  string
	value *string
}

func (o *Owners) fields() []ownerField {
	return []ownerField{{"payout_support", &o.PayoutSupport}, {"user_recovery", &o.UserRecovery},
		{"blocked_payouts", &o.BlockedPayouts}, {"incident_response", &o.IncidentResponse}}
}

// Owner is one named owner of a market's cases.
type Owner struct {
	Field string // as in the JSON: "blocked_payouts"
	Email string
}

// List returns the four owners in document order, named or not.
func (o Owners) List() []Owner {
	fs := o.fields()
	out := make([]Owner, len(fs))
	for i, f := range fs {
		out[i] = Owner{Field: f.name, Email: *f.value}
	}
	return out
}

// releaseGates are the hold reasons that are release gates.
var releaseGates = []Reason{ReasonBeneficiary, ReasonTax, ReasonReview, ReasonMarket, ReasonFunding}

func isReleaseGate(r Reason) bool {
	for _, g := range releaseGates {
		if g == r {
			return true
		}
	}
	return false
}

func releaseGateNames() string {
	names := make([]string, len(releaseGates))
	for i, g := range releaseGates {
		names[i] = string(g)
	}
	return strings.Join(names, ", ")
}

// Missing returns the fields a document still needs before its market may
// be live, in document order: the four owners, whether tax artifacts are
// required, and the whole settlement path. None means complete.
func (d LaunchDoc) Missing() []string {
	var out []string
	for _, o := range d.Owners.fields() {
		if *o.value == "" {
			out = append(out, "owners."+o.name)
		}
	}
	if d.TaxArtifactsRequired == nil {
		out = append(out, "tax_artifacts_required")
	}
	s := d.Settlement
	for _, f := range []struct{ name, value string }{{"rail", s.Rail}, {"posting_window", s.PostingWindow},
		{"fee_treatment", s.FeeTreatment}, {"completed_means", s.CompletedMeans}, {"exception_path", s.ExceptionPath}} {
		if strings.TrimSpace(f.value) == "" {
			out = append(out, "settlement."+f.name)
		}
	}
	return out
}

// Complete reports whether the document has everything a live market needs.
func (d LaunchDoc) Complete() bool { return len(d.Missing()) == 0 }

// CheckLive returns nil unless the document asks to be live while
// incomplete: then a *FieldError naming the first missing field (and how
// many more are missing).
func (d LaunchDoc) CheckLive() error {
	missing := d.Missing()
	if !d.Live || len(missing) == 0 {
		return nil
	}
	msg := "is missing, and a document asking to be live must be complete"
	if len(missing) > 1 {
		msg = fmt.Sprintf("is missing (and %s), and a document asking to be live must be complete",
			strings.Join(missing[1:], ", "))
	}
	return d.fieldErr(missing[0], "%s", msg)
}

// IsLive reports whether payouts in the document's market may be sent: it
// asks to be live and is complete.
func (d LaunchDoc) IsLive() bool { return d.Live && d.Complete() }

// Thresholds returns the review thresholds as money.
func (d LaunchDoc) Thresholds() map[string]Money {
	out := map[string]Money{}
	for cur, amount := range d.ReviewThresholds {
		if m, err := ParseMoney(amount, cur); err == nil {
			out[cur] = m
		}
	}
	return out
}

// ApprovalsNeeded returns how many compliance approvals an amount needs by
// the document's rules: 0 when no rule covers it.
func (d LaunchDoc) ApprovalsNeeded(amount Money) int {
	rule, ok := d.approvalRule(amount)
	if !ok {
		return 0
	}
	return rule.Approvers
}

// BulkRefusal returns why an approval of amount may not be given from a
// bulk action, or "" when it may: a rule covering it must allow bulk.
func (d LaunchDoc) BulkRefusal(amount Money) string {
	rule, ok := d.approvalRule(amount)
	if !ok || rule.Bulk {
		return ""
	}
	return fmt.Sprintf("%s's approval rule for %s at or above %s asks for each approval on the payout's page",
		d.Key(), rule.Currency, rule.AtOrAbove)
}

// approvalRule returns the rule covering amount, if any.
func (d LaunchDoc) approvalRule(amount Money) (ApprovalRule, bool) {
	for _, a := range d.Approvals {
		if a.Currency != amount.Currency {
			continue
		}
		if m, err := ParseMoney(a.AtOrAbove, a.Currency); err == nil && amount.Minor >= m.Minor {
			return a, true
		}
	}
	return ApprovalRule{}, false
}
