package payout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// How a payout request's JSON is read beyond decoding it: field names as
// written, metadata as PostgreSQL's jsonb will hold it, and metadata's
// values compared exactly.

// KeysRefusal checks a payout request's field names as they are written,
// which decoding into RawRequest does not: Go's JSON matches names in any
// case and keeps the last of a name given twice, so {"AMOUNT": ...} or two
// "amount"s would be read as one without a word — a request read one way by
// a proxy and another by payops. Each name must be RawRequest's exactly
// (beneficiary's too), once; nil when they are, or when body is not a JSON
// object (decoding says so).
func KeysRefusal(body []byte) FieldErrors {
	errs := FieldErrors{}
	var walk func(dec *json.Decoder, t reflect.Type, prefix string) bool
	walk = func(dec *json.Decoder, t reflect.Type, prefix string) bool {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return false
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			fields[t.Field(i).Tag.Get("json")] = t.Field(i).Type
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			key, _ := tok.(string)
			ft, known := fields[key]
			switch {
			case !known:
				errs[prefix+Echo(key)] = "is not a field of a payout request (names are exact, in lower case)"
			case seen[key]:
				errs[prefix+Echo(key)] = "is given twice"
			}
			seen[key] = true
			if known && ft.Kind() == reflect.Struct {
				if !walk(dec, ft, prefix+key+".") {
					return false
				}
				continue
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return false
			}
		}
		_, err := dec.Token()
		return err == nil
	}
	if !walk(json.NewDecoder(bytes.NewReader(body)), reflect.TypeFor[RawRequest](), "") || len(errs) == 0 {
		return nil
	}
	return errs
}

// jsonbRefuses says what of valid JSON text b PostgreSQL's jsonb would
// refuse — a \u0000 escape (jsonb holds no NUL), or a \u escape of a UTF-16
// surrogate that is not a high one followed by a low one — or "". An
// escaped backslash (\\) is a backslash, not the start of an escape.
func jsonbRefuses(b []byte) string {
	hex4 := func(i int) (uint64, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return v, err == nil
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		v, ok := hex4(i)
		if !ok {
			i++ // \\, \" and the like: the next byte is escaped
			continue
		}
		switch {
		case v == 0:
			return "contains a NUL character"
		case v >= 0xD800 && v < 0xDC00:
			if low, ok := hex4(i + 6); ok && low >= 0xDC00 && low < 0xE000 {
				i += 11
				continue
			}
			return "contains a \\u escape of half a character (an unpaired UTF-16 surrogate)"
		case v >= 0xDC00 && v < 0xE000:
			return "contains a \\u escape of half a character (an unpaired UTF-16 surrogate)"
		}
		i += 5
	}
	return ""
}

// jsonDepth is how deeply valid JSON text b nests objects and arrays: 1
// for {"a": 1}, 2 for {"a": [1]}.
func jsonDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++ // the escaped byte, a quote among them
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// numbersOutOfRange says whether a number of v, JSON decoded with
// UseNumber, is one PostgreSQL's numeric (jsonb's numbers) cannot hold —
// beyond 10^±16000 — or "".
func numbersOutOfRange(v any) string {
	why := ""
	mapNumbers(v, func(n json.Number) any {
		if _, exp := canonicalNumber(string(n)); exp > 16000 || exp < -16000 {
			why = "holds a number too large or too small to store"
		}
		return n
	})
	return why
}

// mapNumbers replaces each number of v, JSON decoded with UseNumber, by
// f's value for it, in place, and returns v.
func mapNumbers(v any, f func(json.Number) any) any {
	switch x := v.(type) {
	case json.Number:
		return f(x)
	case map[string]any:
		for k, e := range x {
			x[k] = mapNumbers(e, f)
		}
	case []any:
		for i, e := range x {
			x[i] = mapNumbers(e, f)
		}
	}
	return v
}

// exactNumber is a JSON number as jsonValue keeps it: apart from a string
// of the same digits.
type exactNumber string

// jsonValue decodes JSON text for comparing values: numbers exactly (by
// canonicalNumber, so 12345678901234567890 and ...891 differ, and 1.0 is
// 1), not as float64; nil for text that is not JSON.
func jsonValue(raw []byte) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return mapNumbers(v, func(n json.Number) any {
		c, _ := canonicalNumber(string(n))
		return exactNumber(c)
	})
}

// canonicalNumber writes JSON number s as its digits without leading or
// trailing zeros and a power of ten ("12e-1" for 1.20), so that two numbers
// of one value read the same, without computing the value (1e999999999 is
// a few bytes); exp is that power of ten for the number's first digit, 0
// for zero, and s itself is returned when its exponent does not fit.
func canonicalNumber(s string) (canon string, exp int64) {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mant, e, hasExp := strings.Cut(strings.ToLower(s), "e")
	var pow int64
	if hasExp {
		var err error
		if pow, err = strconv.ParseInt(e, 10, 64); err != nil || pow > 1<<40 || pow < -(1<<40) {
			return sign + s, math.MaxInt64
		}
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	pow -= int64(len(frac))
	if digits == "" {
		return "0", 0
	}
	trimmed := strings.TrimRight(digits, "0")
	pow += int64(len(digits) - len(trimmed))
	return fmt.Sprintf("%s%se%d", sign, trimmed, pow), pow + int64(len(trimmed)) - 1
}
