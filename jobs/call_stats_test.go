package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"payops/jobs"
	"payops/store"
)

// statsSink keeps what CallStats flushes, or fails when told to.
type statsSink struct {
	fail bool
	got  []store.CallStat
}

func (s *statsSink) AddCallStats(_ context.Context, stats []store.CallStat) error {
	if s.fail {
		return errors.New("database down")
	}
	s.got = append(s.got, stats...)
	return nil
}

func TestCallStatsFlushKeepsCountsThroughAFailure(t *testing.T) {
	sink := &statsSink{fail: true}
	at := time.Date(2026, 12, 2, 10, 0, 30, 0, time.UTC)
	c := &jobs.CallStats{Store: sink, Log: quiet, Now: func() time.Time { return at }}
	c.ObserveCall("xendit", "submit", "none", 100*time.Millisecond)
	c.ObserveCall("xendit", "submit", "none", 300*time.Millisecond)
	c.Delivered("xendit", store.OutcomeRejected)
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("a failed flush said nothing")
	}
	c.ObserveCall("xendit", "submit", "none", 200*time.Millisecond)
	sink.fail = false
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var submit, hooks store.CallStat
	for _, st := range sink.got {
		switch st.Operation {
		case "submit":
			submit = st
		case store.WebhookOperation:
			hooks = st
		}
	}
	if len(sink.got) != 2 || submit.Calls != 3 || submit.TotalMS != 600 || submit.MaxMS != 300 ||
		!submit.Minute.Equal(at.Truncate(time.Minute)) || hooks.Calls != 1 || hooks.ErrorClass != store.OutcomeRejected {
		t.Fatalf("flushed %+v", sink.got)
	}
	if err := c.Flush(context.Background()); err != nil || len(sink.got) != 2 {
		t.Fatalf("a second flush with nothing counted added %d rows (%v)", len(sink.got)-2, err)
	}
}
