package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile of d by nearest rank; 0 for none.
// It sorts d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	rank := int(math.Ceil(float64(len(d))*p/100)) - 1
	return d[min(max(rank, 0), len(d)-1)]
}

// sample is one request or transaction: when it ended and how long it took.
type sample struct {
	end time.Time
	lat time.Duration
	tag string // the outcome or script
}

// window is what completed in [from, from+length): how many a second,
// their latencies' p50 and p99, and how many of each tag.
type window struct {
	all      int           // completed in the whole run, warm-up too
	slowest  time.Duration // the longest of all, in the window or not
	count    int
	perSec   float64
	p50, p99 time.Duration
	tags     map[string]int
}

func measure(samples []sample, from time.Time, length time.Duration) window {
	w := window{all: len(samples), tags: map[string]int{}}
	var lat []time.Duration
	to := from.Add(length)
	for _, s := range samples {
		w.slowest = max(w.slowest, s.lat)
		if s.end.Before(from) || !s.end.Before(to) {
			continue
		}
		lat = append(lat, s.lat)
		w.tags[s.tag]++
	}
	w.count = len(lat)
	w.perSec = float64(w.count) / length.Seconds()
	w.p50, w.p99 = percentile(lat, 50), percentile(lat, 99)
	return w
}
