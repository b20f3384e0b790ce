package handlers

import (
	"fmt"
	"strconv"
	"time"

	"payops/store"
)

// ago says how long before now t was, for people: "42 min", "3 h 5 min", "2 d 4 h".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// stamp formats a time for tables, in UTC so every operator reads the same.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func stampPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return stamp(*t)
}

func agoPtr(now time.Time, t *time.Time) string {
	if t == nil {
		return "never"
	}
	if s := ago(now, *t); s != "just now" {
		return s + " ago"
	}
	return "just now"
}

// span says a duration for people: "10 min", "2 h", "1 h 30 min".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

// beneficiary shows a payout's beneficiary with the account masked.
func beneficiary(p store.Payout) string {
	return p.BeneficiaryName + " · XXXX" + p.AccountLast4
}

// thousands writes n with its thousands separated: "1,048,576".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dash shows "—" for an empty value.
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
