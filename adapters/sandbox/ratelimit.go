package sandbox

import (
	"sync"
	"time"
)

// bucket is a token bucket: perSecond tokens a second, holding at most a
// tenth of a second's worth (at least one), so a caller that keeps to the
// rate on average is not refused for a little jitter, and one that bursts
// above it is.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens added a second
	size   float64 // most tokens held
	tokens float64
	last   time.Time
}

func newBucket(perSecond int) *bucket {
	size := max(1, float64(perSecond)/10)
	return &bucket{rate: float64(perSecond), size: size, tokens: size}
}

// take takes a token at now and reports whether there was one.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.size, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
