package jobs

import (
	"context"
	"time"
)

// recordTimeout bounds recording what an outside party answered (a
// provider, an endpoint, a mail server) once the run is being cancelled.
const recordTimeout = 10 * time.Second

// afterCall is the context to record an outside party's answer in: it
// outlives the run's cancellation — a deploy's SIGTERM arriving while the
// call was in flight — for recordTimeout, so an answer that came back is
// not thrown away. A provider's clear refusal lost so would leave its
// payout "sent, outcome unknown", which cannot be rejected; an endpoint's
// 2xx lost so would send the platform the event again.
func afterCall(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}
