package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"payops/payout"
	"payops/store"
)

// cmdEndpoint manages the outbound webhook endpoints: add prints the new
// endpoint's id and its secret (shown once), list shows them, disable and
// enable stop and resume deliveries to one.
func cmdEndpoint(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("endpoint "+verb, flag.ContinueOnError)
	url := fs.String("url", "", "the URL events are posted to (https; http and private addresses with PAYOPS_WEBHOOK_ALLOW_PRIVATE=1)")
	events := fs.String("events", "", "comma-separated event types to send (default every type)")
	description := fs.String("description", "", "what the endpoint is for")
	id := fs.Int64("id", 0, "the endpoint's id (disable, enable)")
	reason := fs.String("reason", "", "why it is disabled or enabled (default: \"disabled from the command line\", or enabled)")
	test := fs.Bool("test", false, "a test endpoint: it gets test payouts' events (sandbox, drills) and no live ones")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	policy, err := outboundPolicy(getenv)
	if err != nil {
		return err
	}
	var n store.NewWebhookEndpoint
	switch verb {
	case "add":
		if n, err = endpointSpec(policy, *url, *events, *description); err != nil {
			return err
		}
		n.Test = *test
	case "disable", "enable":
		if *id <= 0 {
			return errors.New("endpoint " + verb + " needs --id")
		}
	case "list":
	default:
		return errUsage
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	by := store.Actor{Name: "cli"}
	switch verb {
	case "add":
		e, err := s.AddWebhookEndpoint(ctx, n, by)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "endpoint %d added; its secret is shown once, store it now:\nid: %d\nsecret: %s\n", e.ID, e.ID, e.Secret)
		if _, err := (payout.EndpointPolicy{}).CheckURL(n.URL); err != nil {
			// This command's PAYOPS_WEBHOOK_ALLOW_PRIVATE let it in; serve
			// reads its own, and sends nothing to the URL without it.
			fmt.Fprintf(stderr, "note: %v: payops serve delivers to it only when it runs with "+
				"PAYOPS_WEBHOOK_ALLOW_PRIVATE=1 too\n", err)
		}
		return nil
	case "disable", "enable":
		if *reason == "" {
			*reason = verb + "d from the command line"
		}
		err := s.SetWebhookEndpointEnabled(ctx, *id, verb == "enable", *reason, by)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("there is no endpoint %d", *id)
		}
		if err == nil {
			fmt.Fprintf(stdout, "endpoint %d %sd\n", *id, verb)
		}
		return err
	}
	list, err := s.WebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, e := range list {
		state, types := "enabled", "every event"
		if !e.Enabled() {
			state = "disabled " + e.DisabledAt.Format("2006-01-02 15:04") + ": " + e.DisabledReason
		}
		if len(e.Events) > 0 {
			types = strings.Join(e.Events, ",")
		}
		mode := "live"
		if !e.Livemode {
			mode = "test"
		}
		fmt.Fprintf(stdout, "%-5d %s  %s  %s  %d pending  %s\n", e.ID, mode, e.URL, types, e.Pending, state)
	}
	return nil
}

// endpointSpec checks an endpoint's URL and event types as the settings
// page does.
func endpointSpec(policy payout.EndpointPolicy, url, events, description string) (store.NewWebhookEndpoint, error) {
	u, err := policy.CheckURL(url)
	if err != nil {
		return store.NewWebhookEndpoint{}, fmt.Errorf("--url: %w", err)
	}
	types, err := payout.ParseEventTypes(events)
	if err != nil {
		return store.NewWebhookEndpoint{}, fmt.Errorf("--events: %w", err)
	}
	return store.NewWebhookEndpoint{URL: u.String(), Events: types, Description: strings.TrimSpace(description)}, nil
}
