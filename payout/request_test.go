package payout

import (
	"encoding/json"
	"strings"
	"testing"
)

func validRaw(t *testing.T) RawRequest {
	t.Helper()
	var raw RawRequest
	body := `{"reference_id":"ORD-1","provider":"sandbox","amount":"1250.00","currency":"INR","mode":"IMPS",
		"narration":"Seller payout","market":"IN","beneficiary":{"name":"Asha Rao","account_number":"123456789012",
		"ifsc":"HDFC0001234","bank_name":"HDFC Bank","tax_artifact":"present"},"metadata":{"seller":"S-9"}}`
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

var testProviders = []string{"sandbox", "razorpayx"}

func TestCheckAcceptsAValidRequest(t *testing.T) {
	r, errs := validRaw(t).Check(testProviders)
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	if r.AmountMinor != 125000 || r.Currency != "INR" || r.Beneficiary.TaxArtifact != TaxPresent || string(r.Metadata) != `{"seller":"S-9"}` {
		t.Fatalf("request = %+v", r)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "123456789012") {
		t.Fatalf("the intake record carries the account number: %s", b)
	}
}

func TestCheckRefusesEachBadField(t *testing.T) {
	cases := []struct {
		name, field, want string
		edit              func(r *RawRequest)
	}{
		{"unknown currency", "currency", `unknown currency "XYZ"`, func(r *RawRequest) { r.Currency = "XYZ" }},
		{"too many decimals", "amount", `more decimals than INR has (2)`, func(r *RawRequest) { r.Amount = json.RawMessage(`"10.001"`) }},
		{"decimals on a zero-decimal currency", "amount", `more decimals than IDR has (0)`, func(r *RawRequest) {
			r.Currency, r.Amount = "IDR", json.RawMessage(`"10.5"`)
		}},
		{"zero", "amount", "must be greater than zero", func(r *RawRequest) { r.Amount = json.RawMessage(`"0.00"`) }},
		{"negative", "amount", "must be greater than zero", func(r *RawRequest) { r.Amount = json.RawMessage(`"-5.00"`) }},
		{"more than one payout takes", "amount", `is more than payops takes in one payout (10000000000.00)`, func(r *RawRequest) {
			r.Amount = json.RawMessage(`"10000000000.01"`)
		}},
		{"number", "amount", "not a JSON number", func(r *RawRequest) { r.Amount = json.RawMessage(`1250.5`) }},
		{"no amount", "amount", "is required", func(r *RawRequest) { r.Amount = nil }},
		{"unknown provider", "provider", `unknown provider "paypal": use one of sandbox, razorpayx`, func(r *RawRequest) { r.Provider = "paypal" }},
		{"missing account", "beneficiary.account_number", "is required", func(r *RawRequest) { r.Beneficiary.AccountNumber = "" }},
		{"bad account", "beneficiary.account_number", "letters or digits", func(r *RawRequest) { r.Beneficiary.AccountNumber = "12 34" }},
		{"bad ifsc", "beneficiary.ifsc", "is not an IFSC code", func(r *RawRequest) { r.Beneficiary.IFSC = "HDFC1234" }},
		{"no tax artifact", "beneficiary.tax_artifact", "is required", func(r *RawRequest) { r.Beneficiary.TaxArtifact = "" }},
		{"bad tax artifact", "beneficiary.tax_artifact", "must be one of", func(r *RawRequest) { r.Beneficiary.TaxArtifact = "ok" }},
		{"no reference", "reference_id", "is required", func(r *RawRequest) { r.ReferenceID = "" }},
		{"bad reference", "reference_id", "1 to 40", func(r *RawRequest) { r.ReferenceID = "a b" }},
		{"the stuck list's name", "reference_id", `"stuck" is reserved`, func(r *RawRequest) { r.ReferenceID = "stuck" }},
		{"bad market", "market", "not an ISO 3166", func(r *RawRequest) { r.Market = "India" }},
		{"bad mode", "mode", "unknown mode", func(r *RawRequest) { r.Mode = "SWIFT" }},
		{"metadata array", "metadata", "must be a JSON object", func(r *RawRequest) { r.Metadata = json.RawMessage(`[1]`) }},
		{"long narration", "narration", "longer than 140", func(r *RawRequest) { r.Narration = strings.Repeat("x", 141) }},
		{"long name", "beneficiary.name", "longer than 140", func(r *RawRequest) { r.Beneficiary.Name = strings.Repeat("x", 141) }},
		{"bad bank code", "beneficiary.bank_code", "2 to 20 letters", func(r *RawRequest) { r.Beneficiary.BankCode = "B C A" }},
		{"NUL in a name", "beneficiary.name", "control characters", func(r *RawRequest) { r.Beneficiary.Name = "Asha\x00Rao" }},
		{"NUL in metadata", "metadata", "NUL", func(r *RawRequest) { r.Metadata = json.RawMessage(`{"a":"\u0000"}`) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := validRaw(t)
			c.edit(&raw)
			_, errs := raw.Check(testProviders)
			if len(errs) != 1 || !strings.Contains(errs[c.field], c.want) {
				t.Fatalf("errors = %v, want one on %s containing %q", errs, c.field, c.want)
			}
		})
	}
}

func TestCheckReportsEveryBadFieldAtOnce(t *testing.T) {
	raw := validRaw(t)
	raw.Currency, raw.Provider, raw.Beneficiary.AccountNumber = "ZZZ", "nope", ""
	_, errs := raw.Check(testProviders)
	for _, f := range []string{"currency", "provider", "beneficiary.account_number"} {
		if errs[f] == "" {
			t.Errorf("no message for %s in %v", f, errs)
		}
	}
	if _, ok := errs["amount"]; ok {
		t.Errorf("amount blamed for the currency: %v", errs)
	}
}

func TestDiffersNamesTheField(t *testing.T) {
	base, _ := validRaw(t).Check(testProviders)
	if f := base.Differs(base); f != "" {
		t.Fatalf("same request differs in %s", f)
	}
	reordered := validRaw(t)
	reordered.Metadata = json.RawMessage(`{ "seller" : "S-9" }`)
	reordered.Amount = json.RawMessage(`"1250"`)
	r, _ := reordered.Check(testProviders)
	if f := r.Differs(base); f != "" {
		t.Fatalf("equal request (other spacing, 1250 = 1250.00) differs in %s", f)
	}
	cases := map[string]func(r *RawRequest){
		"amount":                     func(r *RawRequest) { r.Amount = json.RawMessage(`"1300.00"`) },
		"beneficiary.account_number": func(r *RawRequest) { r.Beneficiary.AccountNumber = "999999999999" },
		"metadata":                   func(r *RawRequest) { r.Metadata = json.RawMessage(`{"seller":"S-10"}`) },
		"market":                     func(r *RawRequest) { r.Market = "ID" },
	}
	for want, edit := range cases {
		raw := validRaw(t)
		edit(&raw)
		r, errs := raw.Check(testProviders)
		if errs != nil {
			t.Fatal(errs)
		}
		if got := r.Differs(base); got != want {
			t.Errorf("differs in %q, want %q", got, want)
		}
	}
}

func TestRequestProgram(t *testing.T) {
	raw := RawRequest{ReferenceID: "P-1", Provider: "sandbox", Amount: []byte(`"10.00"`), Currency: "INR", Market: "IN"}
	raw.Beneficiary.AccountNumber, raw.Beneficiary.TaxArtifact = "123456789012", "present"
	r, errs := raw.Check([]string{"sandbox"})
	if len(errs) != 0 || r.Program != DefaultProgram {
		t.Fatalf("no program: %+v %v, want the default program", r, errs)
	}
	raw.Program = "lenders"
	if r, errs = raw.Check([]string{"sandbox"}); len(errs) != 0 || r.Program != "lenders" {
		t.Fatalf("program lenders: %+v %v", r, errs)
	}
	raw.Program = "Lenders!"
	if _, errs = raw.Check([]string{"sandbox"}); errs["program"] == "" {
		t.Fatalf("a bad program: %v, want it named", errs)
	}
	// A request stored before programs (none named) is the default program's.
	if f := (Request{Program: DefaultProgram}).Differs(Request{}); f != "" {
		t.Errorf("default vs none differ in %q", f)
	}
	if f := (Request{Program: "lenders"}).Differs(Request{}); f != "program" {
		t.Errorf("lenders vs none: %q, want program", f)
	}
}

// Metadata that PostgreSQL's jsonb would refuse is the sender's mistake (a
// field message, not a fault): a NUL or half a character escaped, or a
// number beyond numeric's range; an escaped backslash before "u0000" is
// text, and a surrogate pair is one character.
func TestMetadataJSONBRefuses(t *testing.T) {
	for _, c := range []struct{ meta, want string }{
		{`{"a":"\u0000"}`, "NUL"},
		{`{"a":"\ud800"}`, "half a character"},
		{`{"a":"\udc00x"}`, "half a character"},
		{`{"a":"\ud800\u0041"}`, "half a character"},
		{`{"a":1e999999999}`, "too large or too small"},
		{`{"a":-1e-20000}`, "too large or too small"},
		{`{"a":"\\u0000"}`, ""},
		{`{"a":"\ud83d\ude00"}`, ""},
		{`{"a":"\\\ud83d\ude00 \"q\""}`, ""},
		{`{"a":1e300,"b":[0.000001]}`, ""},
	} {
		var r Request
		if got := r.checkMetadata([]byte(c.meta), true); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.meta, got, c.want)
		}
	}
}

// The same metadata twice is the same request however its numbers are
// written; numbers that float64 would round together are not.
func TestDiffersComparesMetadataNumbersExactly(t *testing.T) {
	base := Request{Metadata: []byte(`{"n":12345678901234567890,"x":[1.50,"1.5"]}`)}
	for meta, want := range map[string]string{
		`{"x":[1.5,"1.5"],"n":1.2345678901234567890e19}`: "",
		`{"n":12345678901234567891,"x":[1.50,"1.5"]}`:    "metadata",
		`{"n":12345678901234567890,"x":[1.50,1.5]}`:      "metadata",
		`{"n":12345678901234567890,"x":[150e-2,"1.5"]}`:  "",
	} {
		if got := (Request{Metadata: []byte(meta)}).Differs(base); got != want {
			t.Errorf("%s: %q, want %q", meta, got, want)
		}
	}
	for s, want := range map[string]string{"0": "0", "-0.0": "0", "1.20": "12e-1", "-120": "-12e1", "1E+3": "1e3", "0.00100": "1e-3"} {
		if got, _ := canonicalNumber(s); got != want {
			t.Errorf("canonicalNumber(%s) = %s, want %s", s, got, want)
		}
	}
}

// Field names are read as written: in any other case, or twice, they are
// refused by name, however Go's decoding would have read them.
func TestKeysRefusal(t *testing.T) {
	for body, want := range map[string]FieldErrors{
		`{"reference_id":"R1","amount":"1.00","beneficiary":{"name":"A"}}`: nil,
		`{"AMOUNT":"9999.00"}`:                                  {"AMOUNT": "is not a field of a payout request (names are exact, in lower case)"},
		`{"amount":"1.00","amount":"9999.00"}`:                  {"amount": "is given twice"},
		`{"beneficiary":{"Name":"A","name":"B"}}`:               {"beneficiary.Name": "is not a field of a payout request (names are exact, in lower case)"},
		`{"beneficiary":{"name":"A"},"metadata":{"X":1,"X":2}}`: nil, // metadata is the platform's own
		`["not an object"]`:                                     nil,
	} {
		got := KeysRefusal([]byte(body))
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", body, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s %q, want %q", body, k, got[k], v)
			}
		}
	}
}
