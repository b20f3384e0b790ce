package store

import (
	"context"
	"time"
)

// IngestGroup takes in deliveries ds with events evs as one group, as a
// writer of GroupWebhooks does with the deliveries waiting for it; ctxs,
// when not nil, are their requests' contexts (else ctx for all). The group
// is taken as given, not split by apart.
func (s *Store) IngestGroup(ctx context.Context, ctxs []context.Context, ds []Delivery, evs []WebhookEvent) ([]Ingested, []error) {
	reqs := make([]*ingestReq, len(ds))
	for i := range ds {
		d := ds[i]
		d.Verified, d.EventID, d.EventType = true, evs[i].ID, evs[i].Type
		rctx := ctx
		if ctxs != nil {
			rctx = ctxs[i]
		}
		reqs[i] = &ingestReq{ctx: rctx, d: d, ev: evs[i], done: make(chan struct{})}
	}
	s.ingestGroup(reqs, nil)
	res, errs := make([]Ingested, len(ds)), make([]error, len(ds))
	for i, r := range reqs {
		<-r.done
		res[i], errs[i] = r.res, r.err
	}
	return res, errs
}

// ClaimSQL is the delivery job's claim, for a test of its plan.
const ClaimSQL = claimSQL

// StuckCountSQL is the stuck list's count for f, with its arguments, for a
// test of its generic plan.
func StuckCountSQL(f StuckFilter) (string, []any) {
	return stuckCountSQL(f), stuckArgs(f)
}

// SetStuckCountedUpTo sets how many stuck payouts the list counts one by
// one, for a test; it returns the old value.
func SetStuckCountedUpTo(n int) int {
	old := stuckCountedUpTo
	stuckCountedUpTo = n
	return old
}

// SetArchiveLookupTimeout sets how long ArchivePartition looks for its own
// record after a failed commit, for a test; it returns the old value.
func SetArchiveLookupTimeout(d time.Duration) time.Duration {
	old := archiveLookupTimeout
	archiveLookupTimeout = d
	return old
}
