package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// The pgbench side of benchmark 1 stands for the endpoint only while its
// scripts run what the endpoint runs: a change to the webhook path's SQL
// fails here until the scripts follow it.
func TestPgbenchScriptsRunWhatTheEndpointRuns(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := seed(ctx, s.DB(), shape{n: 1000, inFlight: true}); err != nil {
		t.Fatal(err)
	}
	if err := checkScripts(ctx, dsn, 1000); err != nil {
		t.Fatal(err)
	}
}

func TestScriptCheckSeesADifference(t *testing.T) {
	endpoint := []string{"BEGIN", "UPDATE payouts SET status = $2\n\t\tWHERE id = $1", "COMMIT"}
	tests := []struct {
		script string
		says   string
	}{
		{"BEGIN;\nUPDATE payouts SET status = :st WHERE id = :g;\nCOMMIT;", ""},
		{"BEGIN;\n-- a comment\n\\set g 1\nUPDATE payouts SET status = 'X' WHERE id = :g \\gset p_\nCOMMIT;", ""},
		{"BEGIN;\nUPDATE payouts SET status = :st WHERE id = :g AND true;\nCOMMIT;", "statement 2"},
		{"BEGIN;\nUPDATE payouts SET status = :st WHERE id = :g;\n", "statement 3"},
		{"SELECT '{' || :g || '}' AS gs \\gset arr_\nBEGIN;\nUPDATE payouts SET status = :st WHERE id = :g;\nCOMMIT;", ""},
	}
	for _, tt := range tests {
		err := sameStatements(endpoint, scriptStatements(tt.script))
		if tt.says == "" && err != nil || tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)) {
			t.Errorf("%q: %v, want %q", tt.script, err, tt.says)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(101-i)*time.Millisecond)
	}
	if p50, p99 := percentile(d, 50), percentile(d, 99); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50 %s, p99 %s; want 50ms, 99ms", p50, p99)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("percentile of nothing: %s", got)
	}
}

// A load whose every answer ends after its window has no p99 to give:
// the report says so, with the slowest answer, instead of 0 ms.
func TestAWindowWithNoAnswerSaysSo(t *testing.T) {
	start := time.Now()
	late := []sample{{end: start.Add(8 * time.Second), lat: 8 * time.Second}, {end: start.Add(7 * time.Second), lat: 7 * time.Second}}
	w := measure(late, start.Add(time.Second), 5*time.Second)
	if w.count != 0 || w.all != 2 || w.slowest != 8*time.Second {
		t.Fatalf("window %+v", w)
	}
	if got, want := withoutP99(w, 5*time.Second), "none within the 5s measured; slowest 8000.0 ms"; got != want {
		t.Errorf("withoutP99 = %q, want %q", got, want)
	}
	in := measure([]sample{{end: start.Add(2 * time.Second), lat: 40 * time.Millisecond}}, start.Add(time.Second), 5*time.Second)
	if got := withoutP99(in, 5*time.Second); got != "40.0 ms" {
		t.Errorf("withoutP99 of an answer in the window = %q", got)
	}
	if got := withoutP99(window{}, 5*time.Second); got != "none answered" {
		t.Errorf("withoutP99 of nothing = %q", got)
	}
}
