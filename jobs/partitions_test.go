package jobs_test

import (
	"context"
	"testing"
	"time"

	"payops/jobs"
	"payops/store/pgtest"
)

func TestPartitionerMakesTheComingMonths(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	later := time.Now().UTC().AddDate(1, 0, 0)
	p := &jobs.Partitioner{Store: s, Ahead: 2, Now: func() time.Time { return later }}
	out, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Changed < 3*7 {
		t.Errorf("made %d partitions, want at least the 3 months of each of 7 tables", out.Changed)
	}
	for _, table := range []string{"webhook_deliveries", "ledger_entries"} {
		parts, err := s.Partitions(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(later.Year(), later.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 2, 0)
		if last := parts[len(parts)-1]; !last.Month.Equal(want) {
			t.Errorf("%s: latest partition %s, want %s", table, last.Name, want.Format("2006-01"))
		}
	}
	if out, err := p.Run(ctx); err != nil || out.Changed != 0 {
		t.Errorf("again: %+v, %v; want nothing made", out, err)
	}
}
