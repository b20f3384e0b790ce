package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"payops/drill"
	"payops/store"
)

// drillRefusal is the share of events whose first delivery the drill's
// receiver refuses, so that retries (5 s later) are part of every drill.
const drillRefusal = 0.1

// drillReceiver starts the platform's side of outbound webhooks for a
// supervised drill and adds an endpoint for it, for every event; stop
// disables the endpoint and stops the receiver.
func drillReceiver(ctx context.Context, st *store.Store) (*drill.Receiver, int64, func(), error) {
	by := store.Actor{Name: "payops drill"}
	rc := drill.NewReceiver(drillRefusal)
	url, stop, err := serveOn(ctx, "127.0.0.1:0", rc)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("drill receiver: %w", err)
	}
	ep, err := st.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: url, Description: "payops drill's receiver",
		Test: true}, by)
	if err == nil {
		err = rc.Trust(ep.Secret)
	}
	if err != nil {
		stop()
		return nil, 0, nil, err
	}
	return rc, ep.ID, func() {
		_ = st.SetWebhookEndpointEnabled(context.WithoutCancel(ctx), ep.ID, false, "the drill is over", by)
		stop()
	}, nil
}

// outboundFigures waits (up to two minutes) until nothing is pending for the
// drill's endpoint, then compares what payops committed with what the
// receiver accepted.
func outboundFigures(ctx context.Context, st *store.Store, rc *drill.Receiver, endpointID int64, prefix string,
	log *slog.Logger) (drill.Outbound, error) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		ep, err := st.WebhookEndpointByID(ctx, endpointID)
		if err != nil {
			return drill.Outbound{}, err
		}
		if ep.Pending == 0 {
			break
		}
		log.Info("drill: outbound deliveries pending", "count", ep.Pending)
	}
	events, statuses, err := st.OutboundOfPayouts(ctx, endpointID, prefix+"-")
	if err != nil {
		return drill.Outbound{}, err
	}
	committed := make([]drill.CommittedEvent, len(events))
	for i, ev := range events {
		committed[i] = drill.CommittedEvent{WebhookID: ev.WebhookID, Ref: ev.Ref, Type: ev.Type}
	}
	return rc.Figures(committed, statuses), nil
}
