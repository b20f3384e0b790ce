package payout

import (
	"math/rand/v2"
	"time"
)

// RetryDelays are the waits before each new attempt to deliver an event
// after a failed one: the Standard Webhooks specification's example
// schedule (5 s to 10 h) continued by payops' own 14 h, 20 h and 24 h so
// that it spans 75 h 35 min 5 s from the first attempt, more than
// EndpointFailingLimit. After the last, the delivery is given up, unless
// its endpoint has failed that whole time: then the endpoint is disabled
// and the delivery waits for it (GiveUp).
var RetryDelays = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	14 * time.Hour,
	20 * time.Hour,
	24 * time.Hour,
}

// RetryJitter is the fraction by which each wait is randomly lengthened, so
// endpoints that failed together are not retried together. Never shortened:
// the schedule always spans more than EndpointFailingLimit.
const RetryJitter = 0.1

// NextAttempt returns when to try again after the given number of failed
// attempts (1 after the first), and false when the schedule is spent and
// the delivery is given up. jitter is in [0, 1] (see Jitter).
func NextAttempt(failed int, last time.Time, jitter float64) (time.Time, bool) {
	if failed < 1 || failed > len(RetryDelays) {
		return time.Time{}, false
	}
	d := RetryDelays[failed-1]
	d += time.Duration(float64(d) * RetryJitter * jitter)
	return last.Add(d), true
}

// Jitter returns a random number in [0, 1) for NextAttempt.
func Jitter() float64 { return rand.Float64() }

// GiveUp reports whether a delivery whose retry schedule is spent (spent)
// is given up, given that its endpoint is now being disabled for failing
// (endpointDown): a committed event is never lost to an outage. Its
// endpoint failed every attempt of the schedule, so it is disabled and the
// delivery waits, to go when an admin enables the endpoint again. Only a
// delivery its endpoint kept refusing while it answered others is given up.
func GiveUp(spent, endpointDown bool) bool { return spent && !endpointDown }

// EndpointFailing reports whether an endpoint failing since since should be
// disabled at now: after 3 days of nothing but failures.
func EndpointFailing(since *time.Time, now time.Time) bool {
	return since != nil && now.Sub(*since) >= EndpointFailingLimit
}
