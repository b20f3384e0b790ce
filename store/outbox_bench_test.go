package store_test

import (
	"context"
	"fmt"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// BenchmarkIngestOutbox is the cost of the outbox to webhook ingestion, as
// make bench's comparison but without HTTP: IngestWebhook applying a
// SUCCESS to a PROCESSING payout (posting, event, audit), with no endpoint
// (the outbox statement writes nothing) and with one subscribed to every
// event (it writes the event and its delivery). go test ./store/ -run '^$'
// -bench IngestOutbox.
func BenchmarkIngestOutbox(b *testing.B) {
	for _, endpoints := range []int{0, 1} {
		b.Run(fmt.Sprintf("endpoints=%d", endpoints), func(b *testing.B) {
			ctx := context.Background()
			s := pgtest.New(b)
			for range endpoints {
				if _, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/"},
					store.Actor{Name: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
			refs := make([]string, b.N)
			for i := range refs {
				refs[i] = fmt.Sprintf("B-%07d", i)
				newPayout(b, s, refs[i], payout.Processing)
			}
			b.ResetTimer()
			for i := range b.N {
				ev := event(fmt.Sprintf("e%d", i), "sbx_"+refs[i], refs[i], payout.Succeeded, "UTR")
				if _, err := s.IngestWebhook(ctx, delivery(), ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
