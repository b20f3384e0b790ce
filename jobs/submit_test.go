package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// provider is the sandbox behind a wrapper that counts payout creations
// by reference (accepted ones apart) and can answer them with a failure.
type provider struct {
	srv      *httptest.Server
	mu       sync.Mutex
	asked    map[string]int
	accepted map[string]int
	fail     atomic.Value // "" or the failure creations answer: "503", "403", "funds"
}

var refPattern = regexp.MustCompile(`"reference_id":"([^"]*)"`)

func newProvider(t *testing.T) *provider {
	p := &provider{asked: map[string]int{}, accepted: map[string]int{}}
	p.fail.Store("")
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s"})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/v1/payouts" {
			sb.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		ref := string(refPattern.FindSubmatch(body)[1])
		p.mu.Lock()
		p.asked[ref]++
		first := p.asked[ref] == 1
		p.mu.Unlock()
		mode := p.fail.Load().(string)
		if mode == "503-then-funds" {
			// The first try times out at the gateway (it may have debited
			// the balance); the caller's retry is refused for funds.
			if mode = "funds"; first {
				mode = "503"
			}
		}
		switch mode {
		case "503":
			http.Error(w, `{"error":"upstream bank timeout"}`, http.StatusServiceUnavailable)
			return
		case "403":
			http.Error(w, `{"error":"account not enabled for payouts"}`, http.StatusForbidden)
			return
		case "funds":
			http.Error(w, `{"error":"insufficient balance in virtual account"}`, http.StatusUnprocessableEntity)
			return
		}
		rec := httptest.NewRecorder()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		sb.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			p.mu.Lock()
			p.accepted[ref]++
			p.mu.Unlock()
		}
		if p.fail.Load().(string) == "accept-then-503" {
			// The provider took the payout; its answer was lost.
			http.Error(w, `{"error":"gateway timeout"}`, http.StatusServiceUnavailable)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) registry() adapters.Registry { return sandboxRegistry(p.srv.URL) }

// sandboxRegistry speaks to the sandbox at url as payops' "sandbox" provider.
func sandboxRegistry(url string) adapters.Registry {
	return adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: url,
		APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: 2 * time.Second})}
}

// settlingSandbox runs a sandbox (seed 42) that sends no webhooks and
// reports each payout QUEUED for settle, then its fate.
func settlingSandbox(t *testing.T, settle time.Duration) adapters.Registry {
	return settlingSandboxAs(t, settle, "sandbox")
}

// settlingSandboxAs is settlingSandbox under another provider's name: a
// live provider of the sandbox's (NxtBanking's) format, whose payouts are
// live ones.
func settlingSandboxAs(t *testing.T, settle time.Duration, name string) adapters.Registry {
	sb := httptest.NewServer(sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s", SettleAfter: settle}))
	t.Cleanup(sb.Close)
	return adapters.Registry{name: nxtbanking.NewClient(nxtbanking.Config{Name: name, BaseURL: sb.URL,
		APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: 2 * time.Second})}
}

func (p *provider) counts(ref string) (asked, accepted int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked[ref], p.accepted[ref]
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// intake records a payout the way the API does.
func intake(t *testing.T, s *store.Store, policy payout.Policy, ref, provider string, amountMinor int64) {
	t.Helper()
	req := payout.Request{ReferenceID: ref, Provider: provider, AmountMinor: amountMinor, Currency: "INR", Mode: "IMPS",
		Market: "IN", Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if _, err := s.Intake(context.Background(), req, policy, store.Actor{Name: "api:test"}); err != nil {
		t.Fatal(err)
	}
}

func payoutOf(t *testing.T, s *store.Store, ref string) store.Payout {
	t.Helper()
	p, err := s.PayoutByRef(context.Background(), ref, store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTwoSubmissionWorkersNeverSendAPayoutTwice(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	prov := newProvider(t)
	var workers []*jobs.Submitter
	var first *store.Store
	for range 2 {
		s, err := store.Open(dsn) // two instances, two connection pools
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if first == nil {
			first = s
		}
		workers = append(workers, &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, Batch: 3})
	}
	const n = 40
	for i := range n {
		intake(t, first, payout.Policy{}, fmt.Sprintf("TWO-%02d", i), "sandbox", 100000)
	}
	var wg sync.WaitGroup
	var sent atomic.Int64
	for _, w := range workers {
		wg.Go(func() {
			k, err := w.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			sent.Add(int64(k))
		})
	}
	wg.Wait()
	if sent.Load() != n {
		t.Fatalf("workers sent %d payouts, want %d", sent.Load(), n)
	}
	for i := range n {
		ref := fmt.Sprintf("TWO-%02d", i)
		if asked, _ := prov.counts(ref); asked != 1 {
			t.Errorf("%s: the provider was asked %d times to create it", ref, asked)
		}
		if p := payoutOf(t, first, ref); p.ProviderID() != sandbox.PayoutIDFor(ref) || p.SubmittedAt == nil || p.SubmitAttempts != 1 {
			t.Errorf("%s: %+v", ref, p)
		}
	}
}

func TestASubmissionLostInACrashIsFoundNotSentAgain(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	intake(t, s, payout.Policy{}, "CRASH-1", "sandbox", 100000)

	// A worker claims the payout and the provider accepts it, then the worker
	// dies before recording the answer.
	const lease = time.Second // long enough for the steps below on a busy machine
	subs, err := s.ClaimForSubmit(ctx, 10, lease, payout.Policy{}, nil)
	if err != nil || len(subs) != 1 {
		t.Fatalf("claim: %v %v", subs, err)
	}
	if _, err := prov.registry()["sandbox"].Submit(ctx, adapters.Payout{ReferenceID: "CRASH-1",
		Amount: payout.Money{Minor: 100000, Currency: "INR"}, Beneficiary: adapters.Beneficiary{Name: "Asha Rao",
			AccountNumber: "123456789012", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	// While the lease holds, no other worker takes it.
	w := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, Lease: lease}
	if k, err := w.RunOnce(ctx); err != nil || k != 0 {
		t.Fatalf("a leased payout was taken: %d %v", k, err)
	}
	time.Sleep(lease + 100*time.Millisecond)
	if k, err := w.RunOnce(ctx); err != nil || k != 1 {
		t.Fatalf("retry after the lease: %d %v", k, err)
	}
	asked, accepted := prov.counts("CRASH-1")
	if asked != 2 || accepted != 1 {
		t.Fatalf("provider asked %d times, accepted %d; want the retry refused as a duplicate", asked, accepted)
	}
	p := payoutOf(t, s, "CRASH-1")
	if p.ProviderID() != sandbox.PayoutIDFor("CRASH-1") || p.SubmittedAt == nil || p.SubmitAttempts != 2 {
		t.Fatalf("payout after the retry: %+v", p)
	}
}

func openHolds(t *testing.T, s *store.Store, id int64) []store.Hold {
	t.Helper()
	hs, err := s.HoldsFor(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var open []store.Hold
	for _, h := range hs {
		if h.Open() {
			open = append(open, h)
		}
	}
	return open
}

func TestSubmissionFailures(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	compliance := complianceUser(t, s)
	w := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}

	t.Run("insufficient funds is a funding hold, retried only after release", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "FUNDS-1", "sandbox", 100000)
		prov.fail.Store("funds")
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		p := payoutOf(t, s, "FUNDS-1")
		holds := openHolds(t, s, p.ID)
		if p.Status != payout.Held || len(holds) != 1 || holds[0].Reason != payout.ReasonFunding ||
			!strings.Contains(holds[0].Detail, "insufficient") {
			t.Fatalf("payout %s, holds %+v", p.Status, holds)
		}
		evals, _ := s.GateEvaluationsFor(ctx, p.ID)
		if last := evals[len(evals)-1]; last.Gate != payout.ReasonFunding || last.Passed {
			t.Fatalf("no failed funding evaluation recorded: %+v", last)
		}
		prov.fail.Store("")
		w.RunOnce(ctx)
		if asked, _ := prov.counts("FUNDS-1"); asked != 1 {
			t.Fatalf("a funding hold was retried before release: asked %d times", asked)
		}
		rel, err := s.ReleaseHold(ctx, holds[0].ID, compliance, "account topped up", payout.Policy{}, store.AnyShown)
		if err != nil || !rel.Queued {
			t.Fatalf("release: %+v %v", rel, err)
		}
		if k, _ := w.RunOnce(ctx); k != 1 {
			t.Fatal("released payout not sent")
		}
		if p := payoutOf(t, s, "FUNDS-1"); p.ProviderID() == "" {
			t.Fatalf("payout after release: %+v", p)
		}
	})

	t.Run("transient failures retry, then manual review", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "FLAKY-1", "sandbox", 100000)
		prov.fail.Store("503")
		defer prov.fail.Store("")
		// The run's outcome says it claimed and sent nothing: the jobs page
		// shows claims without sends, not a run of nothing.
		if out, err := w.Run(ctx); err != nil || out.Examined < 3 || out.Changed != 0 {
			t.Fatalf("run %+v, %v: want 3 claims or more, nothing sent", out, err)
		}
		p := payoutOf(t, s, "FLAKY-1")
		holds := openHolds(t, s, p.ID)
		if asked, _ := prov.counts("FLAKY-1"); asked < 3 {
			t.Fatalf("asked %d times before giving up, want at least 3", asked)
		}
		if p.Status != payout.Held || len(holds) != 1 || holds[0].Reason != payout.ReasonManualReview ||
			!strings.Contains(holds[0].Detail, "3 attempts failed") || p.SubmitAttempts != 3 {
			t.Fatalf("payout %s after %d attempts, holds %+v", p.Status, p.SubmitAttempts, holds)
		}
		// The provider may have it after all: it cannot be rejected, only
		// released and sent again under the same reference.
		if _, err := s.RejectHold(ctx, holds[0].ID, compliance, "give up on it", store.AnyShown); !errors.Is(err, store.ErrRefused) ||
			!strings.Contains(err.Error(), "may have the payout") {
			t.Fatalf("reject after uncertain attempts: %v", err)
		}
		prov.fail.Store("")
		if _, err := s.ReleaseHold(ctx, holds[0].ID, compliance, "provider is back", payout.Policy{}, store.AnyShown); err != nil {
			t.Fatal(err)
		}
		if k, _ := w.RunOnce(ctx); k != 1 {
			t.Fatal("released payout not sent")
		}
	})

	t.Run("a clear refusal after an unanswered attempt does not make it rejectable", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "LOST-1", "sandbox", 100000)
		prov.fail.Store("accept-then-503")
		defer prov.fail.Store("")
		// The first attempt's answer is lost; its retry is due an hour on.
		later := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, MaxAttempts: 3,
			Backoff: func(int) time.Duration { return time.Hour }}
		later.RunOnce(ctx)
		if _, accepted := prov.counts("LOST-1"); accepted != 1 {
			t.Fatalf("the provider took LOST-1 %d times, want 1", accepted)
		}
		if p := payoutOf(t, s, "LOST-1"); p.Status != payout.Queued || p.SubmitAttempts != 1 {
			t.Fatalf("after the lost answer: %s, %d attempts; want QUEUED after 1", p.Status, p.SubmitAttempts)
		}
		// The retry, an hour on, is refused outright.
		s.DB().MustExec(`UPDATE payouts SET next_submit_at = now() WHERE reference_id = 'LOST-1'`)
		prov.fail.Store("403")
		later.RunOnce(ctx)
		p := payoutOf(t, s, "LOST-1")
		holds := openHolds(t, s, p.ID)
		if p.Status != payout.Held || len(holds) != 1 {
			t.Fatalf("payout %s, holds %+v; want held after the refusal", p.Status, holds)
		}
		if _, err := s.RejectHold(ctx, holds[0].ID, compliance, "refused", store.AnyShown); !errors.Is(err, store.ErrRefused) ||
			!strings.Contains(err.Error(), "may have the payout") {
			t.Fatalf("reject of a payout the provider took: %v, want refused", err)
		}
	})

	t.Run("refused credentials need a person at once, and may be rejected", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "CREDS-1", "sandbox", 100000)
		prov.fail.Store("403")
		defer prov.fail.Store("")
		w.RunOnce(ctx)
		p := payoutOf(t, s, "CREDS-1")
		holds := openHolds(t, s, p.ID)
		if p.Status != payout.Held || p.SubmitAttempts != 1 || len(holds) != 1 || holds[0].Reason != payout.ReasonManualReview {
			t.Fatalf("payout %s after %d attempts, holds %+v", p.Status, p.SubmitAttempts, holds)
		}
		if _, err := s.RejectHold(ctx, holds[0].ID, compliance, "account not enabled", store.AnyShown); err != nil {
			t.Fatalf("reject after a clear refusal: %v", err)
		}
	})

	t.Run("a provider payops has no credentials for", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "NOCFG-1", "razorpayx", 100000)
		w.RunOnce(ctx)
		p := payoutOf(t, s, "NOCFG-1")
		if holds := openHolds(t, s, p.ID); p.Status != payout.Held || len(holds) != 1 || !strings.Contains(holds[0].Detail, "not configured") {
			t.Fatalf("payout %s, holds %+v", p.Status, holds)
		}
	})

	t.Run("a gate failing since intake holds the payout before it is sent", func(t *testing.T) {
		intake(t, s, payout.Policy{}, "LATE-1", "sandbox", 100000)
		// The sandbox stands in for a live provider here: a test payout is not
		// held by a read-only market.
		if _, err := s.DB().Exec(`UPDATE payouts SET livemode = true WHERE reference_id = 'LATE-1'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetMarketReadOnly(ctx, "IN", payout.DefaultProgram, store.Actor{Name: "test"}, "incident"); err != nil {
			t.Fatal(err)
		}
		late := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, Policy: payout.Policy{}}
		late.RunOnce(ctx)
		p := payoutOf(t, s, "LATE-1")
		if asked, _ := prov.counts("LATE-1"); asked != 0 || p.Status != payout.Held {
			t.Fatalf("payout %s, asked %d times", p.Status, asked)
		}
	})
}

// heldAfterAnUnrecordedAttempt takes ref through intake and a claim whose
// worker gave it to the provider and died recording nothing; its lease runs
// out, the review threshold comes down below its amount, and the next claim
// holds it. It returns the payout then.
func heldAfterAnUnrecordedAttempt(t *testing.T, s *store.Store, prov *provider, ref string) store.Payout {
	t.Helper()
	ctx := context.Background()
	intake(t, s, payout.Policy{}, ref, "sandbox", 100000)
	if subs, err := s.ClaimForSubmit(ctx, 10, time.Minute, payout.Policy{}, nil); err != nil || len(subs) != 1 {
		t.Fatalf("claim: %v %v", subs, err)
	}
	if _, err := prov.registry()["sandbox"].Submit(ctx, adapters.Payout{ReferenceID: ref,
		Amount: payout.Money{Minor: 100000, Currency: "INR"}, Beneficiary: adapters.Beneficiary{Name: "Asha Rao",
			AccountNumber: "123456789012", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`UPDATE payouts SET next_submit_at = now() WHERE reference_id = $1`, ref)
	lower, err := payout.ParsePolicy("INR=500.00")
	if err != nil {
		t.Fatal(err)
	}
	if subs, err := s.ClaimForSubmit(ctx, 10, time.Minute, lower, nil); err != nil || len(subs) != 0 {
		t.Fatalf("second claim: %v %v; want the payout held", subs, err)
	}
	return payoutOf(t, s, ref)
}

// A worker that stopped after the provider took the payout, recording
// nothing, leaves its outcome unknown: when the next claim's gates hold the
// payout (a threshold lowered meanwhile), the hold can be released but not
// rejected — the provider may pay it.
func TestAnUnrecordedAttemptLeavesTheOutcomeUnknown(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	compliance := complianceUser(t, s)
	p := heldAfterAnUnrecordedAttempt(t, s, prov, "UNREC-1")
	holds := openHolds(t, s, p.ID)
	if p.Status != payout.Held || len(holds) != 1 {
		t.Fatalf("after the second claim: %s, holds %+v", p.Status, holds)
	}
	if _, err := s.RejectHold(ctx, holds[0].ID, compliance, "too large now", store.AnyShown); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "may have the payout") {
		t.Fatalf("reject after an unrecorded attempt: %v", err)
	}
	events, err := s.EventsFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var said bool
	for _, e := range events {
		said = said || strings.Contains(e.Detail, "attempt 1's outcome was never recorded")
	}
	if !said {
		t.Error("the timeline does not say the attempt's outcome was never recorded")
	}
}

// A call retried within itself after a timeout, then refused for funds,
// is no clear refusal: the timed-out try may have taken the money, so the
// funding hold cannot be rejected.
func TestARefusalAfterATimeoutInTheSameCallIsUncertain(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	compliance := complianceUser(t, s)
	intake(t, s, payout.Policy{}, "RETRY-FUNDS", "sandbox", 100000)
	prov.fail.Store("503-then-funds")
	w := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if asked, _ := prov.counts("RETRY-FUNDS"); asked < 2 {
		t.Fatalf("asked %d times: the call did not retry within itself", asked)
	}
	p := payoutOf(t, s, "RETRY-FUNDS")
	holds := openHolds(t, s, p.ID)
	if p.Status != payout.Held || len(holds) != 1 || holds[0].Reason != payout.ReasonFunding {
		t.Fatalf("payout %s, holds %+v; want a funding hold", p.Status, holds)
	}
	if _, err := s.RejectHold(ctx, holds[0].ID, compliance, "no money", store.AnyShown); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("reject a funding hold after a timed-out try: %v", err)
	}
}

// complianceUser adds a compliance user, who decides holds.
func complianceUser(t *testing.T, s *store.Store) store.Actor {
	t.Helper()
	uid, err := s.CreateUser(context.Background(), store.User{Email: "c@example.com", Name: "Chitra",
		Role: payout.RoleCompliance, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return store.Actor{UserID: uid, Name: "c@example.com"}
}

// The same payout, held by the next claim's gates after an attempt whose
// outcome was never recorded: the provider has it, and a hold cannot stop
// that. The cron reconciler asks about it, HELD as it is, and the
// provider's answer is applied through the one apply function: the payout
// leaves HELD, its hold closes (audited), and nothing is sent again.
func TestTheReconcilerFindsWhatAProviderDidWithAHeldPayout(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	p := heldAfterAnUnrecordedAttempt(t, s, prov, "UNREC-2")
	if p.Status != payout.Held {
		t.Fatalf("after the second claim: %s, want HELD", p.Status)
	}
	// No change for an hour: the reconciler's due.
	s.DB().MustExec(`UPDATE payouts SET updated_at = now() - interval '1 hour' WHERE reference_id = 'UNREC-2'`)
	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: prov.registry(), Log: quiet},
		Log: quiet, After: time.Millisecond, PerSecond: 1000}
	out, err := stale.Run(ctx)
	if err != nil || out.Examined != 1 {
		t.Fatalf("the reconciler: %+v %v; want the held payout asked about", out, err)
	}
	p = payoutOf(t, s, "UNREC-2")
	if p.Status == payout.Held || p.SubmittedAt == nil {
		t.Fatalf("after the provider's answer: %s (sent %v), want the provider's state", p.Status, p.SubmittedAt)
	}
	if holds := openHolds(t, s, p.ID); len(holds) != 0 {
		t.Errorf("open holds after the provider's answer: %+v", holds)
	}
	if hs, err := s.HoldsFor(ctx, p.ID); err != nil || len(hs) != 1 || hs[0].State != "closed" {
		t.Errorf("the hold after the provider's answer: %+v %v; want one, closed", hs, err)
	}
	var closed int
	s.DB().QueryRowx(`SELECT count(*) FROM audit_log WHERE action = 'hold.closed_by_provider'
		AND entity_id IN ('UNREC-2', 'UNREC-2 (test)')`).Scan(&closed)
	if closed != 1 {
		t.Errorf("%d audit entries for the hold the provider's answer closed, want 1", closed)
	}
	if asked, _ := prov.counts("UNREC-2"); asked != 1 {
		t.Errorf("the provider was asked to create it %d times, want once", asked)
	}
}

// A held payout never sent (held at intake) is not asked about, and a
// report about it stays an anomaly: the rule for it is unchanged.
func TestAHeldPayoutNeverSentIsNotAskedAbout(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	lower, _ := payout.ParsePolicy("INR=500.00")
	intake(t, s, lower, "NEVER-1", "sandbox", 100000)
	if p := payoutOf(t, s, "NEVER-1"); p.Status != payout.Held {
		t.Fatalf("NEVER-1 is %s, want HELD at intake", p.Status)
	}
	s.DB().MustExec(`UPDATE payouts SET updated_at = now() - interval '1 hour' WHERE reference_id = 'NEVER-1'`)
	if due, err := s.StalePayouts(ctx, time.Now(), time.Now(), 10, nil); err != nil || len(due) != 0 {
		t.Errorf("stale payouts: %d %v; want none", len(due), err)
	}
	res, err := s.ApplyObservation(ctx, "NEVER-1", store.First(true), payout.Observation{Source: payout.SourceWebhook, Status: payout.Succeeded})
	if err != nil || res.Decision != payout.Anomaly || res.To != payout.Held {
		t.Errorf("a report about a payout never sent: %+v %v, want an anomaly", res, err)
	}
}

// panicky is a provider whose Submit panics, as a buggy adapter might.
type panicky struct{ adapters.Provider }

func (panicky) Submit(context.Context, adapters.Payout) (payout.Observation, error) {
	panic("nil map in the adapter")
}

// An adapter that panics fails its payout's attempt, recorded as one whose
// outcome is unknown, and the run goes on: a worker's panic would have
// ended payops, and every instance that claimed the payout after it.
// After its attempts the payout is held for a person.
func TestAPanickingAdapterFailsOneAttempt(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	reg := prov.registry()
	reg["sandbox"] = panicky{reg["sandbox"]}
	intake(t, s, payout.Policy{}, "PANIC-1", "sandbox", 100000)
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }}
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("RunOnce = %d, %v; want nothing sent and no error", n, err)
	}
	// Retried at once (no backoff here) until its attempts ran out, then
	// held for a person, as any failure of unknown outcome.
	p := payoutOf(t, s, "PANIC-1")
	if p.SubmitAttempts != 3 || p.Status != payout.Held || !strings.Contains(p.LastSubmitError, "the adapter panicked") {
		t.Fatalf("after the panics: %s, %d attempts, last error %q; want HELD after 3, saying the adapter panicked",
			p.Status, p.SubmitAttempts, p.LastSubmitError)
	}
}

// A submission in flight when the run is cancelled (a deploy's SIGTERM)
// finishes, and the provider's answer is recorded: a clear refusal lost so
// would leave the payout "sent, outcome unknown", which nobody could reject.
func TestAnAnswerDuringShutdownIsRecorded(t *testing.T) {
	s := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/payouts" {
			cancel() // SIGTERM while the provider answers
			http.Error(w, `{"error":"account not enabled for payouts"}`, http.StatusForbidden)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	intake(t, s, payout.Policy{}, "SIGTERM-1", "sandbox", 100000)
	w := &jobs.Submitter{Store: s, Providers: sandboxRegistry(srv.URL), Log: quiet, MaxAttempts: 3,
		Backoff: func(int) time.Duration { return 0 }}
	_, rerr := w.RunOnce(ctx)
	p := payoutOf(t, s, "SIGTERM-1")
	if p.SubmitAttempts != 1 || !strings.Contains(p.LastSubmitError, "not enabled for payouts") {
		t.Fatalf("after an answer at shutdown (run: %v): %s, %d attempts, last error %q; want the provider's refusal recorded",
			rerr, p.Status, p.SubmitAttempts, p.LastSubmitError)
	}
}

// A provider that stops answering holds up the workers sending to it, but
// never the last one while another provider's payouts are due: they go out
// while its calls still wait (each could wait its whole timeout).
func TestAHungProviderLeavesAWorkerForTheOthers(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, `{"error":"upstream bank timeout"}`, http.StatusServiceUnavailable)
	}))
	defer hung.Close()
	var answer sync.Once
	answerAll := func() { answer.Do(func() { close(release) }) }
	defer answerAll()
	fast := newProvider(t)
	reg := adapters.Registry{
		"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: hung.URL,
			APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: time.Minute}),
		"paywize": nxtbanking.NewClient(nxtbanking.Config{Name: "paywize", BaseURL: fast.srv.URL,
			APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: 2 * time.Second}),
	}
	// The hung provider's payouts are first in line.
	for i := range 3 {
		intake(t, s, payout.Policy{}, fmt.Sprintf("HUNG-%d", i), "sandbox", 100000)
	}
	for i := range 4 {
		intake(t, s, payout.Policy{}, fmt.Sprintf("FAST-%d", i), "paywize", 100000)
	}
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet, Workers: 2, Timeout: time.Minute}
	ran := make(chan error, 1)
	go func() {
		_, err := w.RunOnce(ctx)
		ran <- err
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sent := 0
		for i := range 4 {
			if _, accepted := fast.counts(fmt.Sprintf("FAST-%d", i)); accepted == 1 {
				sent++
			}
		}
		if sent == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the answering provider's 4 payouts sent while the other provider hangs; want all 4", sent)
		}
	}
	answerAll() // the hung calls answer (503: retried later)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if p := payoutOf(t, s, "HUNG-0"); p.Status != payout.Queued || p.SubmitAttempts != 1 {
		t.Errorf("the hung provider's first payout: %s after %d attempts; want QUEUED after 1, to be retried", p.Status, p.SubmitAttempts)
	}
}
