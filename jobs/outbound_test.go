package jobs_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"payops/jobs"
	"payops/outbound"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// receiver is the platform's side: it verifies every delivery with the
// Standard Webhooks algorithm, written here apart from payops' own signing,
// and refuses with 500 until told otherwise.
type receiver struct {
	t       *testing.T
	now     func() time.Time
	mu      sync.Mutex
	secrets []string
	refuse  int // how many more requests to refuse
	got     []delivered
	bad     []string
}

type delivered struct {
	id, ts, sig, body string
	accepted          bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-signature")
	if err := verify(rc.secrets, id, r.Header.Get("webhook-timestamp"), sig, body, rc.now()); err != nil {
		rc.bad = append(rc.bad, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d := delivered{id: id, ts: r.Header.Get("webhook-timestamp"), sig: sig, body: string(body), accepted: rc.refuse == 0}
	rc.got = append(rc.got, d)
	if !d.accepted {
		rc.refuse--
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify is the specification's verification: the timestamp within 5
// minutes of now, and any of the space-separated v1 signatures equal, in
// constant time, to the HMAC-SHA256 of id.timestamp.body under any of the
// secrets.
func verify(secrets []string, id, ts, header string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return fmt.Errorf("bad webhook-id %q or webhook-timestamp %q", id, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s off by %s", ts, d)
	}
	for _, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(body)))
		want := mac.Sum(nil)
		for _, sig := range strings.Split(header, " ") {
			version, value, _ := strings.Cut(sig, ",")
			got, err := base64.StdEncoding.DecodeString(value)
			if version == "v1" && err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("no signature of %s verifies", id)
}

type outboundFixture struct {
	t     *testing.T
	s     *store.Store
	clock time.Time
	rc    *receiver
	srv   *httptest.Server
	job   *jobs.Outbound
	ep    store.WebhookEndpoint
}

func newOutboundFixture(t *testing.T) *outboundFixture {
	// The clock in PostgreSQL's precision, so that times stored and read
	// back compare as they were.
	f := &outboundFixture{t: t, s: pgtest.New(t), clock: time.Now().Add(time.Second).Truncate(time.Microsecond)}
	f.rc = &receiver{t: t, now: func() time.Time { return f.clock }}
	f.srv = httptest.NewServer(f.rc)
	t.Cleanup(f.srv.Close)
	ep, err := f.s.AddWebhookEndpoint(context.Background(), store.NewWebhookEndpoint{URL: f.srv.URL},
		store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.ep, f.rc.secrets = ep, []string{ep.Secret}
	f.job = &jobs.Outbound{Store: f.s, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.clock },
		Client: outbound.NewClient(payout.EndpointPolicy{AllowPrivate: true}, 5*time.Second), Workers: 3, Batch: 4}
	return f
}

// payout makes a payout and moves it through the given states.
func (f *outboundFixture) payout(ref string, states ...payout.Status) {
	f.t.Helper()
	ctx := context.Background()
	_, err := f.s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox", ProviderPayoutID: "pp-" + ref,
		Amount: payout.Money{Minor: 10000, Currency: "INR"}, Status: payout.Queued,
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, st := range states {
		if _, err := f.s.ApplyObservation(ctx, ref, store.First(true), payout.Observation{Source: payout.SourcePoll, Status: st}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// run runs the job, then moves the clock on by step, until nothing is
// pending or rounds are spent; it returns the rounds it took.
func (f *outboundFixture) run(step time.Duration, rounds int) int {
	f.t.Helper()
	for i := 1; i <= rounds; i++ {
		if _, err := f.job.RunOnce(context.Background()); err != nil {
			f.t.Fatal(err)
		}
		b, err := f.s.Backlog(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if b.Pending == 0 {
			return i
		}
		f.clock = f.clock.Add(step)
	}
	return rounds + 1
}

type eventRow struct {
	ID        int64  `db:"id"`
	WebhookID string `db:"webhook_id"`
	Ref       string `db:"reference_id"`
}

func (f *outboundFixture) events() []eventRow {
	f.t.Helper()
	var out []eventRow
	if err := f.s.DB().Select(&out, `SELECT e.id, e.webhook_id, p.reference_id FROM outbound_events e
		JOIN payouts p ON p.id = e.payout_id ORDER BY e.id`); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func TestEveryEventArrivesInOrderThroughARefusingReceiver(t *testing.T) {
	f := newOutboundFixture(t)
	f.rc.refuse = 25
	for i := range 12 {
		states := []payout.Status{payout.Processing, payout.Succeeded}
		if i%3 == 0 {
			states = append(states, payout.Reversed)
		}
		f.payout(fmt.Sprintf("OUT-%02d", i), states...)
	}
	if rounds := f.run(3*time.Hour, 20); rounds > 20 {
		t.Fatal("deliveries still pending after 60 hours")
	}
	evs := f.events()
	if len(evs) != 28 {
		t.Fatalf("%d events, want 28", len(evs))
	}
	if len(f.rc.bad) > 0 {
		t.Fatalf("deliveries that do not verify: %v", f.rc.bad)
	}
	bodies, firstAccepted := map[string]string{}, map[string]int{}
	for i, d := range f.rc.got {
		if b, ok := bodies[d.id]; ok && b != d.body {
			t.Errorf("webhook-id %s delivered as two different events", d.id)
		}
		bodies[d.id] = d.body
		if _, ok := firstAccepted[d.id]; d.accepted && !ok {
			firstAccepted[d.id] = i
		}
	}
	last := map[string]int{}
	for _, ev := range evs {
		at, ok := firstAccepted[ev.WebhookID]
		if !ok {
			t.Errorf("event %d (%s) never accepted", ev.ID, ev.Ref)
			continue
		}
		if prev, seen := last[ev.Ref]; seen && at < prev {
			t.Errorf("%s: event %d accepted before an earlier one", ev.Ref, ev.ID)
		}
		last[ev.Ref] = at
	}
	var attempts int
	if err := f.s.DB().Get(&attempts, `SELECT count(*) FROM outbound_attempts`); err != nil || attempts != len(f.rc.got) {
		t.Errorf("%d attempts recorded, the receiver got %d (%v)", attempts, len(f.rc.got), err)
	}
	if refused := len(f.rc.got) - len(firstAccepted); refused < 25 {
		t.Errorf("only %d refused requests", refused)
	}
}

func TestRotationSignsWithBothSecretsFor24Hours(t *testing.T) {
	ctx := context.Background()
	f := newOutboundFixture(t)
	old := f.ep.Secret
	ep, err := f.s.RotateWebhookSecret(ctx, f.ep.ID, store.Actor{Name: "admin@example.com"})
	if err != nil || ep.Secret == old || ep.PreviousSecret == nil || *ep.PreviousSecret != old {
		t.Fatalf("rotate: %+v, %v", ep, err)
	}
	f.rc.secrets = []string{old, ep.Secret}
	f.payout("ROT-1", payout.Processing)
	f.clock = ep.PreviousSecretUntil.Add(-time.Minute)
	f.run(time.Minute, 3)
	f.clock = ep.PreviousSecretUntil.Add(time.Minute)
	f.payout("ROT-2", payout.Processing)
	f.run(time.Minute, 3)
	if len(f.rc.got) != 2 || len(f.rc.bad) != 0 {
		t.Fatalf("got %d deliveries, bad %v", len(f.rc.got), f.rc.bad)
	}
	within, after := f.rc.got[0], f.rc.got[1]
	if n := len(strings.Fields(within.sig)); n != 2 {
		t.Errorf("within the overlap: %d signatures, want 2", n)
	}
	for _, secret := range []string{old, ep.Secret} {
		if err := verifyWith(within, secret); err != nil {
			t.Errorf("a receiver with one of the secrets refuses: %v", err)
		}
	}
	if verifyWith(after, old) == nil || verifyWith(after, ep.Secret) != nil {
		t.Errorf("after the overlap the signature is %q: want the new secret's only", after.sig)
	}
}

// verifyWith verifies a delivery the receiver got with one secret only.
func verifyWith(d delivered, secret string) error {
	sec, _ := strconv.ParseInt(d.ts, 10, 64)
	return verify([]string{secret}, d.id, d.ts, d.sig, []byte(d.body), time.Unix(sec, 0))
}

func TestAnEndpointFailingFor3DaysIsDisabled(t *testing.T) {
	ctx := context.Background()
	f := newOutboundFixture(t)
	f.rc.refuse = 1 << 30
	var notified []int64
	f.job.OnDisabled = func(_ context.Context, id int64) { notified = append(notified, id) }
	start, at := f.clock, f.clock
	for i := 0; i < 20 && len(notified) == 0; i++ {
		// A new event each round: the endpoint keeps failing, whatever
		// becomes of each delivery's own schedule.
		f.payout(fmt.Sprintf("DIS-%02d", i), payout.Processing)
		at = f.clock
		f.run(6*time.Hour, 1)
	}
	ep, err := f.s.WebhookEndpointByID(ctx, f.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Enabled() || ep.DisabledReason != "failing for 3 days" || len(notified) != 1 || notified[0] != ep.ID {
		t.Fatalf("endpoint %+v, notified %v", ep, notified)
	}
	if failed := at.Sub(start); failed != 72*time.Hour {
		t.Errorf("disabled after %s of failures", failed)
	}
	entries, err := f.s.AuditFor(ctx, "webhook_endpoint", strconv.FormatInt(ep.ID, 10))
	found := false
	for _, e := range entries {
		found = found || e.Action == "webhook_endpoint.disabled"
	}
	if err != nil || !found {
		t.Errorf("no webhook_endpoint.disabled audit row (%v)", err)
	}
	before := len(f.rc.got)
	f.payout("DIS-AFTER", payout.Processing)
	f.clock = f.clock.Add(time.Hour)
	if n, err := f.job.RunOnce(ctx); err != nil || n != 0 || len(f.rc.got) != before {
		t.Errorf("a disabled endpoint was sent to: %d attempts, %v", n, err)
	}
}

// An endpoint that stops answering costs one attempt a worker in a run, not
// one per waiting delivery: its other deliveries wait, due, and every other
// endpoint's go in the same run.
func TestADeadEndpointHoldsNobodyUp(t *testing.T) {
	f := newOutboundFixture(t)
	var hits atomic.Int64
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "gone", http.StatusBadGateway)
	}))
	t.Cleanup(dead.Close)
	if _, err := f.s.AddWebhookEndpoint(context.Background(), store.NewWebhookEndpoint{URL: dead.URL},
		store.Actor{Name: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		f.payout(fmt.Sprintf("DEAD-%d", i), payout.Processing)
	}
	if _, err := f.job.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.rc.mu.Lock()
	got := len(f.rc.got)
	f.rc.mu.Unlock()
	if got != 12 {
		t.Errorf("the live endpoint got %d of its 12 deliveries in the run", got)
	}
	if n := hits.Load(); n > int64(f.job.Workers) {
		t.Errorf("the dead endpoint was tried %d times in one run, want at most one a worker (%d)", n, f.job.Workers)
	}
	var due int
	f.s.DB().Get(&due, `SELECT count(*) FROM outbound_deliveries WHERE state = 'pending' AND attempts = 0`)
	if due < 12-f.job.Workers {
		t.Errorf("%d of the dead endpoint's deliveries wait untried, want at least %d", due, 12-f.job.Workers)
	}
}

// When serve stops (the run's context cancelled) during a batch, the
// delivery in flight finishes and is recorded — so the platform does not
// get it again — and the batch's rest goes back at once, unsent, for the
// next instance; nothing waits for its lease.
func TestADeliveryInFlightAtShutdownIsRecorded(t *testing.T) {
	f := newOutboundFixture(t)
	f.job.Workers, f.job.Batch = 1, 4
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // SIGTERM while the platform answers
		f.rc.ServeHTTP(w, r)
	}))
	defer srv.Close()
	f.s.DB().MustExec(`UPDATE webhook_endpoints SET url = $1`, srv.URL)
	for _, ref := range []string{"SD-1", "SD-2", "SD-3", "SD-4"} {
		f.payout(ref, payout.Processing)
	}
	f.job.RunOnce(ctx)
	var rows []struct {
		State    string    `db:"state"`
		Attempts int       `db:"attempts"`
		Next     time.Time `db:"next_attempt_at"`
	}
	if err := f.s.DB().Select(&rows, `SELECT state, attempts, next_attempt_at FROM outbound_deliveries ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var delivered, back int
	for _, r := range rows {
		switch {
		case r.State == "delivered" && r.Attempts == 1:
			delivered++
		case r.State == "pending" && r.Attempts == 0 && !r.Next.After(f.clock):
			back++
		default:
			t.Errorf("a delivery %s after %d attempts, due %v (now %v)", r.State, r.Attempts, r.Next, f.clock)
		}
	}
	if got := len(f.rc.got); delivered != 1 || got != 1 || back != len(rows)-1 {
		t.Errorf("received %d; recorded delivered %d, given back %d of %d", got, delivered, back, len(rows))
	}
}
