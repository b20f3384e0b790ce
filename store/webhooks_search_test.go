package store_test

import (
	"context"
	"slices"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Deliveries are found by our reference, the provider's payout id and the
// event id (ours, and RazorpayX's header), exactly, with the page's other
// filters.
func TestDeliveriesSearch(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "S1", payout.Processing) // provider payout id sbx_S1
	newPayout(t, s, "S2", payout.Processing)
	ids := map[int64]string{}
	ingest := func(name string, d store.Delivery, ev store.WebhookEvent) {
		t.Helper()
		res, err := s.IngestWebhook(ctx, d, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids[res.DeliveryID] = name
	}
	ingest("first", delivery(), event("e1", "sbx_S1", "S1", payout.Processing, ""))
	ingest("duplicate", delivery(), event("e1", "sbx_S1", "S1", payout.Processing, ""))
	ingest("by ppid", delivery(), event("e2", "sbx_S2", "", payout.Processing, ""))
	ingest("orphan", delivery(), event("e3", "sbx_S9", "S9", payout.Succeeded, "UTR9"))
	rejected := store.Delivery{Provider: "razorpayx", Body: []byte(`{}`), Outcome: store.OutcomeRejected,
		Headers: map[string]string{"X-Razorpay-Event-Id": "evt_R1"}, Detail: "bad signature"}
	id, err := s.RecordDelivery(ctx, rejected)
	if err != nil {
		t.Fatal(err)
	}
	ids[id] = "rejected"
	// RazorpayX's event id is a header; payops dedupes on the signed body.
	withHeader := delivery()
	withHeader.Headers = map[string]string{"X-Razorpay-Event-Id": "evt_R2"}
	ingest("header", withHeader, event("sha256:b0d7", "sbx_S2", "S2", payout.Succeeded, "UTR2"))

	tests := []struct {
		name string
		f    store.DeliveryFilter
		want []string // newest first
	}{
		{"our reference", store.DeliveryFilter{Search: "S1"}, []string{"duplicate", "first"}},
		{"the provider's payout id", store.DeliveryFilter{Search: "sbx_S1"}, []string{"duplicate", "first"}},
		{"an event and its duplicate", store.DeliveryFilter{Search: "e1"}, []string{"duplicate", "first"}},
		{"an event", store.DeliveryFilter{Search: "e2"}, []string{"by ppid"}},
		{"a signed event id", store.DeliveryFilter{Search: "sha256:b0d7"}, []string{"header"}},
		{"an orphan's reference", store.DeliveryFilter{Search: "S9"}, []string{"orphan"}},
		{"an orphan's payout id", store.DeliveryFilter{Search: "sbx_S9"}, []string{"orphan"}},
		{"RazorpayX's header, refused", store.DeliveryFilter{Search: "evt_R1"}, []string{"rejected"}},
		{"RazorpayX's header", store.DeliveryFilter{Search: "evt_R2"}, []string{"header"}},
		{"every delivery of a payout", store.DeliveryFilter{Search: "S2"}, []string{"header", "by ppid"}},
		{"exactly: no other case", store.DeliveryFilter{Search: "s1"}, nil},
		{"exactly: no part", store.DeliveryFilter{Search: "S"}, nil},
		{"nothing", store.DeliveryFilter{Search: "nothing"}, nil},
		{"with an outcome", store.DeliveryFilter{Search: "S1", Outcome: store.OutcomeDuplicate}, []string{"duplicate"}},
		{"with a provider", store.DeliveryFilter{Search: "S1", Provider: "razorpayx"}, nil},
		{"with a provider, found", store.DeliveryFilter{Search: "evt_R1", Provider: "razorpayx"}, []string{"rejected"}},
		{"a page", store.DeliveryFilter{Search: "S1", Limit: 1}, []string{"duplicate"}},
		{"the next page", store.DeliveryFilter{Search: "S1", BeforeID: keyOf(ids, "duplicate")}, []string{"first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.Limit == 0 {
				tt.f.Limit = 50
			}
			rows, err := s.Deliveries(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range rows {
				got = append(got, ids[d.ID])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
}

func keyOf(m map[int64]string, v string) int64 {
	for k, s := range m {
		if s == v {
			return k
		}
	}
	return 0
}
