package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"payops/store"
)

// ago says how long before now t was, for people, in span's words to the
// minute: "42 min", "3 h 5 min", "2 d 4 h"; "just now" within a minute.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	return span(d.Truncate(time.Minute))
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

// span says a duration for people, the one format of the dashboard: "350 ms",
// "4.2 s", "9 s", "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h" (the smaller
// unit left out when it is zero: "10 min", "2 h"). Below a minute it keeps
// the seconds a job's run or a drill is measured in; above, two units are
// enough.
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 10*time.Second && d%time.Second >= 100*time.Millisecond:
		return fmt.Sprintf("%.1f s", d.Truncate(100*time.Millisecond).Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return units(int(d.Minutes()), "min", int(d.Seconds())%60, "s")
	case d < 24*time.Hour:
		return units(int(d.Hours()), "h", int(d.Minutes())%60, "min")
	default:
		return units(int(d.Hours())/24, "d", int(d.Hours())%24, "h")
	}
}

func units(big int, bigUnit string, small int, smallUnit string) string {
	if small == 0 {
		return fmt.Sprintf("%d %s", big, bigUnit)
	}
	return fmt.Sprintf("%d %s %d %s", big, bigUnit, small, smallUnit)
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

// andList joins names as a sentence does: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// byteSize is a file's or a table's size as a person reads it (a size, never
// money, so a float is fine).
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
}
