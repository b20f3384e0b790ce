package handlers

import (
	"testing"
	"time"
)

func TestRateLimiterAllowsTheBurstThenTheRate(t *testing.T) {
	l := NewRateLimiter[int64]()
	now := time.Unix(1_700_000_000, 0)
	for i := range 10 {
		if ok, _ := l.Allow(1, 5, 10, now); !ok {
			t.Fatalf("request %d of a burst of 10 refused", i+1)
		}
	}
	ok, wait := l.Allow(1, 5, 10, now)
	if ok || wait != 200*time.Millisecond {
		t.Fatalf("the 11th at once: %v, wait %v; want refused for 200ms", ok, wait)
	}
	if ok, _ := l.Allow(2, 5, 10, now); !ok {
		t.Fatal("another token was refused: tokens share a bucket")
	}
	if ok, _ := l.Allow(1, 5, 10, now.Add(200*time.Millisecond)); !ok {
		t.Fatal("one more after an interval refused")
	}
	if ok, _ := l.Allow(1, 5, 10, now.Add(200*time.Millisecond)); ok {
		t.Fatal("two more after one interval allowed")
	}
	// A refused request takes nothing: after a pause the bucket refills.
	for i := range 10 {
		if ok, _ := l.Allow(1, 5, 10, now.Add(time.Hour)); !ok {
			t.Fatalf("after an hour, request %d of a burst refused", i+1)
		}
	}
}
