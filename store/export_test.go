package store

import "context"

// IngestGroup takes in deliveries ds with events evs as one group, as a
// writer of GroupWebhooks does with the deliveries waiting for it.
func (s *Store) IngestGroup(_ context.Context, ds []Delivery, evs []WebhookEvent) ([]Ingested, []error) {
	reqs := make([]*ingestReq, len(ds))
	for i := range ds {
		d := ds[i]
		d.Verified, d.EventID, d.EventType = true, evs[i].ID, evs[i].Type
		reqs[i] = &ingestReq{d: d, ev: evs[i], done: make(chan struct{})}
	}
	s.ingestGroup(reqs)
	res, errs := make([]Ingested, len(ds)), make([]error, len(ds))
	for i, r := range reqs {
		<-r.done
		res[i], errs[i] = r.res, r.err
	}
	return res, errs
}
