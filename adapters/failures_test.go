package adapters

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// plain is a provider without a failure classifier.
type plain struct{ name string }

func (p plain) Name() string { return p.name }
func (plain) Submit(context.Context, Payout) (payout.Observation, error) {
	return payout.Observation{}, nil
}
func (plain) Status(context.Context, Payout) (payout.Observation, error) {
	return payout.Observation{}, nil
}
func (plain) List(context.Context, time.Time, time.Time) ([]Record, error) { return nil, nil }
func (plain) Webhook(http.Header, []byte) (Event, error)                   { return Event{}, nil }

// classifying is a provider with a small failure table.
type classifying struct{ plain }

var testTable = FailureTable{"INSUFFICIENT_BALANCE": payout.FailFunding, "beneficiary_bank_down": payout.FailTransient}

func (classifying) ClassifyFailure(code string) payout.FailureClass { return testTable.Classify(code) }

// blank classifies everything as "", which must not leak out as a class.
type blank struct{ plain }

func (blank) ClassifyFailure(string) payout.FailureClass { return "" }

func TestClassifyFailure(t *testing.T) {
	tests := []struct {
		name string
		p    Provider
		code string
		want payout.FailureClass
	}{
		{"no classifier", plain{"old"}, "INSUFFICIENT_BALANCE", payout.FailUnknown},
		{"no classifier, no code", plain{"old"}, "", payout.FailUnknown},
		{"known code", classifying{plain{"x"}}, "INSUFFICIENT_BALANCE", payout.FailFunding},
		{"other case", classifying{plain{"x"}}, "insufficient_balance", payout.FailFunding},
		{"other case, lower-case table", classifying{plain{"x"}}, "BENEFICIARY_BANK_DOWN", payout.FailTransient},
		{"surrounding space", classifying{plain{"x"}}, " INSUFFICIENT_BALANCE\n", payout.FailFunding},
		{"unknown code", classifying{plain{"x"}}, "SOMETHING_ELSE", payout.FailUnknown},
		{"empty code", classifying{plain{"x"}}, "", payout.FailUnknown},
		{"blank space", classifying{plain{"x"}}, "  ", payout.FailUnknown},
		{"classifier answers nothing", blank{plain{"x"}}, "ANY", payout.FailUnknown},
	}
	for _, tt := range tests {
		if got := ClassifyFailure(tt.p, tt.code); got != tt.want {
			t.Errorf("%s: ClassifyFailure(%q) = %q, want %q", tt.name, tt.code, got, tt.want)
		}
	}
}

// off is a classifying provider switched off, as the drill provider is
// between drills.
type off struct{ classifying }

func (off) Enabled() bool { return false }

func TestRegistryClassifyFailure(t *testing.T) {
	reg := Registry{"old": plain{"old"}, "x": classifying{plain{"x"}}, "drill": off{classifying{plain{"drill"}}}}
	tests := []struct {
		provider, code string
		want           payout.FailureClass
	}{
		{"x", "INSUFFICIENT_BALANCE", payout.FailFunding},
		{"x", "NOPE", payout.FailUnknown},
		{"x", "", payout.FailUnknown},
		{"old", "INSUFFICIENT_BALANCE", payout.FailUnknown},
		{"missing", "INSUFFICIENT_BALANCE", payout.FailUnknown},
		{"drill", "INSUFFICIENT_BALANCE", payout.FailFunding},
	}
	for _, tt := range tests {
		if got := reg.ClassifyFailure(tt.provider, tt.code); got != tt.want {
			t.Errorf("ClassifyFailure(%q, %q) = %q, want %q", tt.provider, tt.code, got, tt.want)
		}
	}
}

// Unclear turns only payops' failure to read a 2xx answer into a transient
// error; a refusal the provider stated keeps its kind. Taken makes any
// failure of the lookup after a duplicate transient.
func TestUnclearAndTaken(t *testing.T) {
	unread := &Error{Provider: "p", Kind: Request, Message: "unreadable response: EOF", Unread: true}
	if err := Unclear(unread); KindOf(err) != Transient || !strings.Contains(err.Error(), "unreadable response: EOF") {
		t.Errorf("Unclear(unreadable) = %v", err)
	}
	stated := &Error{Provider: "p", Kind: Request, HTTPStatus: 200, Message: "4001 invalid IFSC"}
	if err := Unclear(stated); KindOf(err) != Request {
		t.Errorf("Unclear(a refusal stated in a 200) = %v, want it unchanged", err)
	}
	if err := Unclear(&Error{Provider: "p", Kind: Request, Message: "request not built: bad URL"}); KindOf(err) != Request {
		t.Errorf("Unclear(a request never sent) = %v, want it as it is", err)
	}
	if err := UnclearAnswer(&Error{Provider: "p", Kind: Request, Message: "unknown payout status \"x\""}); KindOf(err) != Transient {
		t.Errorf("UnclearAnswer(an unmapped status) = %v, want transient", err)
	}
	if err := Unclear(&Error{Provider: "p", Kind: Credentials, HTTPStatus: 401}); KindOf(err) != Credentials {
		t.Errorf("Unclear(401) = %v", err)
	}
	if Unclear(nil) != nil || Taken(nil) != nil {
		t.Error("nil is not nil")
	}
	if err := Taken(&Error{Provider: "p", Kind: Request, Message: "unreadable response"}); KindOf(err) != Transient {
		t.Errorf("Taken(unreadable) = %v, want transient", err)
	}
	if err := Taken(&Error{Provider: "p", Kind: NotFound, HTTPStatus: 404}); KindOf(err) != Transient {
		t.Errorf("Taken(not found) = %v, want transient: the provider said it has the payout", err)
	}
	if err := TakenOrInvalid(&Error{Provider: "p", Kind: NotFound, HTTPStatus: 404}); KindOf(err) != NotFound {
		t.Errorf("TakenOrInvalid(not found) = %v, want it as it is", err)
	}
}
