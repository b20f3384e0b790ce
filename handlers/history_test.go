package handlers

import (
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// A month is overdue only once archive-history has run since it became due
// and left it, or has not run for two days after: the job runs at 03:30 in
// the business time zone, so a month due at midnight UTC may wait most of
// a day with nothing wrong.
func TestNextArchivedMarksOnlyWhatIsLate(t *testing.T) {
	h := &Handlers{History: HistorySettings{ArchiveDir: "/archive", Retention: payout.Retention{"webhook_deliveries": 6}}}
	may := []time.Time{time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ran := func(t time.Time) *time.Time { return &t }
	for _, tt := range []struct {
		name    string
		now     time.Time
		last    *time.Time
		says    string
		overdue bool
	}{
		{"before its day", due.Add(-time.Hour), nil, "2026-05, from 2026-12-01", false},
		{"due, the job not run since", due.Add(20 * time.Hour), ran(due.Add(-21 * time.Hour)), "at archive-history's next run", false},
		{"due, the job ran since and left it", due.Add(20 * time.Hour), ran(due.Add(210 * time.Minute)), "ran since and left it", true},
		{"due, no run for two days", due.Add(50 * time.Hour), nil, "has not run since", true},
	} {
		says, overdue := h.nextArchived("webhook_deliveries", may, tt.now, tt.last)
		if !strings.Contains(says, tt.says) || overdue != tt.overdue {
			t.Errorf("%s: %q, overdue %v; want %q, %v", tt.name, says, overdue, tt.says, tt.overdue)
		}
	}
	if says, _ := h.nextArchived("audit_log", may, due, nil); says != "never: kept for ever" {
		t.Errorf("a table the retention does not name: %q", says)
	}
	h.History.ArchiveDir = ""
	if says, _ := h.nextArchived("webhook_deliveries", may, due, nil); says != "never: no archive folder" {
		t.Errorf("without a folder: %q", says)
	}
}
