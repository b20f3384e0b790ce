package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/jobs"
	"payops/notify/chat"
	"payops/notify/email"
	"payops/notify/email/smtptest"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// clock is the notify job's injectable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// chatReceiver is a chat webhook keeping every text posted to it.
type chatReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	texts []string
	fail  bool
}

func newChatReceiver(t *testing.T) *chatReceiver {
	c := &chatReceiver{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("chat body: %v", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		c.texts = append(c.texts, body.Text)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *chatReceiver) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.texts...)
}

func newNotifier(t *testing.T, s *store.Store, smtp *smtptest.Server, clk *clock) *jobs.Notifier {
	t.Helper()
	n := &jobs.Notifier{Store: s, Conditions: jobs.StandardConditions(s, 10*time.Minute), Chat: chat.NewClient(5*time.Second, nil),
		Log: quiet, Now: clk.Now}
	if smtp != nil {
		mailer, err := email.NewClient(smtp.URL("payops@example.com"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		n.Email = mailer
	}
	return n
}

func run(t *testing.T, n *jobs.Notifier) jobs.Outcome {
	t.Helper()
	out, err := n.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func addUser(t *testing.T, s *store.Store, email string, role payout.Role) int64 {
	t.Helper()
	id, err := s.CreateUser(context.Background(), store.User{Email: email, Name: email, Role: role, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func setChannel(t *testing.T, s *store.Store, c store.NotifyChannel) {
	t.Helper()
	if err := s.UpdateNotifyChannel(context.Background(), c, store.Actor{Name: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
}

// recipientsOf returns the recipients of the messages whose subject has s.
func recipientsOf(msgs []smtptest.Message, s string) []string {
	var out []string
	for _, m := range msgs {
		if strings.Contains(m.Subject, s) {
			out = append(out, strings.Join(m.To, ","))
		}
	}
	return out
}

// A hold past its SLA: its owner is emailed; once the SLA job escalates it,
// the escalation owner is emailed (and the owner not again); once it is
// decided, both are told it cleared. Each once, however many runs.
func TestOverdueHoldEmailsItsOwnerThenTheEscalationOwner(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	owner := addUser(t, s, "owner@example.com", payout.RoleCompliance)
	boss := addUser(t, s, "boss@example.com", payout.RoleCompliance)
	decider := addUser(t, s, "decider@example.com", payout.RoleCompliance)
	heldForReview(t, s, "HOLD-1", store.HoldReasonChange{Reason: payout.ReasonReview, OwnerID: &owner,
		NextOwnerID: &boss, SLAMinutes: 60})
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	if run(t, n); len(smtp.Messages()) != 0 {
		t.Fatalf("within its SLA: %d emails, want none", len(smtp.Messages()))
	}

	clk.add(61 * time.Minute)
	for range 3 {
		run(t, n)
		clk.add(time.Minute)
	}
	if got := recipientsOf(smtp.Messages(), "past its SLA"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Fatalf("past its SLA: emails to %v, want one to owner@example.com", got)
	}

	if _, err := s.EscalateOverdue(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		run(t, n)
		clk.add(time.Minute)
	}
	if got := recipientsOf(smtp.Messages(), "is escalated"); len(got) != 1 || got[0] != "boss@example.com" {
		t.Fatalf("escalated: emails to %v, want one to boss@example.com", got)
	}
	if len(smtp.Messages()) != 2 {
		t.Fatalf("%d emails after escalation, want 2", len(smtp.Messages()))
	}

	hold := openHolds(t, s, payoutOf(t, s, "HOLD-1").ID)[0]
	if _, err := s.RejectHold(ctx, hold.ID, store.Actor{UserID: decider, Name: "decider@example.com"}, "not ours", store.AnyShown); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second) // cleared is told no sooner after the last notice
	run(t, n)
	run(t, n)
	got := recipientsOf(smtp.Messages(), "Cleared:")
	if len(got) != 2 || !strings.Contains(strings.Join(got, " "), "owner@example.com") ||
		!strings.Contains(strings.Join(got, " "), "boss@example.com") {
		t.Fatalf("cleared: emails to %v, want one each to owner and boss", got)
	}
}

// An instance without PAYOPS_SMTP_URL tells nobody by email, so it records
// nobody as told: once email is configured, the owner of a hold still past
// its SLA is emailed that it is (not, later, only that it cleared).
func TestNobodyIsToldWhileEmailIsOff(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	owner := addUser(t, s, "owner@example.com", payout.RoleCompliance)
	decider := addUser(t, s, "decider@example.com", payout.RoleCompliance)
	heldForReview(t, s, "NOMAIL-1", store.HoldReasonChange{Reason: payout.ReasonReview, OwnerID: &owner,
		SLAMinutes: 60})
	clk := &clock{now: time.Now().Add(61 * time.Minute)}
	for range 2 {
		run(t, newNotifier(t, s, nil, clk))
		clk.add(time.Minute)
	}
	if log, _, _ := s.Notifications(ctx, 10, 0); len(log) != 0 {
		t.Fatalf("without SMTP: %d notices written, want none (email is off, no chat webhook)", len(log))
	}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "past its SLA"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Fatalf("once email is on: emails to %v, want one to owner@example.com that the hold is past its SLA", got)
	}
	hold := openHolds(t, s, payoutOf(t, s, "NOMAIL-1").ID)[0]
	if _, err := s.RejectHold(ctx, hold.ID, store.Actor{UserID: decider, Name: "decider@example.com"}, "not ours",
		store.AnyShown); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Fatalf("cleared: emails to %v, want one to the owner", got)
	}
}

// A storm: fifty payouts stuck at one provider and thirty forged webhooks
// are two conditions; the chat webhook hears each start once, a reminder
// after the interval, and each clearing once.
func TestChatHearsAStormOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	recv := newChatReceiver(t)
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondStuck, ChatURLs: []string{recv.URL + "/hooks/stuck"},
		ReminderMinutes: 60, ThresholdCount: 3})
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondWebhookRejections, ChatURLs: []string{recv.URL + "/hooks/sec"},
		ReminderMinutes: 0, ThresholdCount: 20, ThresholdMinutes: 60})
	for i := range 50 {
		intake(t, s, payout.Policy{}, fmt.Sprintf("STUCK-%02d", i), "nxtbanking", 100000)
	}
	clk := &clock{now: time.Now().Add(15 * time.Minute)}
	n := newNotifier(t, s, nil, clk)
	n.PublicURL = "https://payops.example.com"
	for range 30 {
		if _, err := s.RecordDelivery(ctx, store.Delivery{Provider: "xendit", Outcome: store.OutcomeRejected,
			Detail: "bad signature", Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Exec(`UPDATE webhook_deliveries SET received_at = $1`, clk.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	count := func(texts []string, prefix string) int {
		n := 0
		for _, t := range texts {
			if strings.HasPrefix(t, "[payops] "+prefix) {
				n++
			}
		}
		return n
	}
	for range 10 {
		run(t, n)
		clk.add(time.Minute)
	}
	got := recv.got()
	if len(got) != 2 || count(got, "Payouts stuck at nxtbanking") != 1 || count(got, "Webhooks from xendit refused") != 1 {
		t.Fatalf("after a storm of runs the chat got %q, want the two starts", got)
	}
	// Under PAYOPS_PUBLIC_URL the page is a link chat can open.
	if !strings.Contains(strings.Join(got, "\n"), "Open https://payops.example.com/payouts/stuck?provider=nxtbanking\n") {
		t.Errorf("the notices %q do not link their page under the public URL", got)
	}

	clk.add(51 * time.Minute) // an hour after the start; the rejections are out of their window
	run(t, n)
	run(t, n)
	got = recv.got()[2:]
	if len(got) != 2 || count(got, "Still: Payouts stuck at nxtbanking") != 1 || count(got, "Cleared: Webhooks from xendit") != 1 {
		t.Fatalf("after the interval the chat got %q, want a reminder of the stuck payouts, the rejections cleared", got)
	}

	if _, err := s.DB().Exec(`UPDATE payouts SET status = 'SUCCEEDED'`); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second) // the database keeps microseconds, rounded
	for range 3 {
		run(t, n)
		clk.add(time.Minute)
	}
	got = recv.got()[4:]
	if len(got) != 1 || count(got, "Cleared: Payouts stuck at nxtbanking") != 1 {
		t.Fatalf("after clearing the chat got %q, want the stuck payouts cleared once", got)
	}
}

// SMTP down and a chat webhook failing: the notices are logged as failed
// with their error and sent at a later run once they come back; the start
// is never lost nor sent twice.
func TestFailedNoticesAreRetried(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	recv := newChatReceiver(t)
	run1 := failedDrill(t, s, store.NotifyChannel{Kind: payout.CondDrillFailed, Email: true, ChatURLs: []string{recv.URL},
		ThresholdCount: 1}, "admin@example.com")
	smtp.Refuse(true)
	recv.mu.Lock()
	recv.fail = true
	recv.mu.Unlock()
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	out, err := n.Run(ctx)
	if err == nil || out.Changed != 0 || !strings.Contains(err.Error(), "the mail server and 1 chat webhook(s) did not take them") ||
		strings.Contains(err.Error(), recv.URL) {
		t.Fatalf("run with SMTP down: %+v %v; want the run failed naming what did not take them, no URL", out, err)
	}
	log, _, err := s.Notifications(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("log has %d notices, want 2 (email, chat)", len(log))
	}
	for _, l := range log {
		want := map[string]string{store.ChannelEmail: "451", store.ChannelChat: "503"}[l.Channel]
		if l.State != "failed" || l.Attempts != 1 || !strings.Contains(l.Error, want) {
			t.Errorf("%s notice: state %s, attempts %d, error %q; want failed once with %s", l.Channel, l.State, l.Attempts,
				l.Error, want)
		}
	}

	smtp.Refuse(false)
	recv.mu.Lock()
	recv.fail = false
	recv.mu.Unlock()
	clk.add(time.Minute)
	if out := run(t, n); out.Changed != 2 {
		t.Fatalf("run after recovery sent %d, want 2", out.Changed)
	}
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Failure drill"); len(got) != 1 || got[0] != "admin@example.com" {
		t.Errorf("emails %v, want one to admin@example.com", got)
	}
	if got := recv.got(); len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("drill #%d", run1.ID)) {
		t.Errorf("chat got %q, want the failed drill once", got)
	}
	log, _, _ = s.Notifications(ctx, 10, 0)
	for _, l := range log {
		if l.State != "sent" || l.Attempts != 2 || l.Error != "" {
			t.Errorf("%s notice: state %s, attempts %d, error %q; want sent at the second try", l.Channel, l.State,
				l.Attempts, l.Error)
		}
	}
}

// dayWithDifferences reconciles xendit's yesterday (UTC) with n open
// differences, as a version's rows are.
func dayWithDifferences(t *testing.T, s *store.Store, n int) {
	t.Helper()
	date := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	var runID int64
	err := s.DB().Get(&runID, `INSERT INTO recon_runs (provider, business_date, version, source, day_start, day_end, run_by)
		VALUES ('xendit', $1, 1, 'list', $2, $3, 'day-end') RETURNING id`, date, date, date.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`INSERT INTO recon_diffs (run_id, kind, reference_id)
		SELECT $1, 'missing_in_payops', 'X-' || i FROM generate_series(1, $2::int) i`, runID, n)
}

// Day-end differences go to finance, not to the other roles.
func TestDayEndDifferencesGoToFinance(t *testing.T) {
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	addUser(t, s, "finance@example.com", payout.RoleFinance)
	addUser(t, s, "ops@example.com", payout.RoleOps)
	dayWithDifferences(t, s, 2)
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	got := recipientsOf(smtp.Messages(), "2 open differences")
	if len(got) != 1 || got[0] != "finance@example.com" {
		t.Fatalf("emails %v, want one to finance@example.com", got)
	}
	if _, err := s.DB().Exec(`UPDATE recon_runs SET signed_off_by = 'f', signed_off_at = now()`); err != nil {
		t.Fatal(err)
	}
	// Cleared within ClearHoldDown of the start: not told yet (a condition
	// in and out each minute is told one pair, not one a minute).
	clk.add(time.Minute)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 0 {
		t.Fatalf("cleared a minute after it started: emails %v, want none yet", got)
	}
	clk.add(payout.ClearHoldDown + time.Second) // the database keeps microseconds, rounded
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 1 || got[0] != "finance@example.com" {
		t.Fatalf("cleared: emails %v, want one to finance@example.com", got)
	}
}

// A day told it has open differences stays told however old it gets: forty
// days on it is past the window that starts notices, still not signed off,
// and finance is not told "cleared"; signed off, it clears.
func TestDayEndDifferencesDoNotAgeOut(t *testing.T) {
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	addUser(t, s, "finance@example.com", payout.RoleFinance)
	dayWithDifferences(t, s, 1)
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "1 open difference"); len(got) != 1 {
		t.Fatalf("emails %v, want one to finance", got)
	}
	clk.add(40 * 24 * time.Hour)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 0 {
		t.Fatalf("a day past the window, still open, was told cleared: %v", got)
	}
	s.DB().MustExec(`UPDATE recon_runs SET signed_off_by = 'f', signed_off_at = now()`)
	clk.add(payout.ClearHoldDown + time.Minute) // after the hold-down (a reminder may have gone at 40 days)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 1 {
		t.Fatalf("signed off: emails %v, want one cleared", got)
	}
}

// A storm of conditions of one kind in one run (eight holds past their SLA
// at once, after an outage) is one digest to their owner and one to the
// chat webhook, naming each hold; so is their clearing.
func TestAStormOfConditionsIsOneDigest(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	recv := newChatReceiver(t)
	owner := addUser(t, s, "owner@example.com", payout.RoleCompliance)
	decider := addUser(t, s, "decider@example.com", payout.RoleCompliance)
	err := s.UpdateHoldReasons(ctx, store.Actor{Name: "admin@example.com"}, []store.HoldReasonChange{
		{Reason: payout.ReasonReview, OwnerID: &owner, SLAMinutes: 60}})
	if err != nil {
		t.Fatal(err)
	}
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondHoldOverdue, Email: true, ChatURLs: []string{recv.URL},
		ReminderMinutes: 240, ThresholdCount: 1})
	policy, _ := payout.ParsePolicy("INR=200000.00")
	for i := range 8 {
		intake(t, s, policy, fmt.Sprintf("STORM-%d", i), "nxtbanking", 30000000)
	}
	clk := &clock{now: time.Now().Add(2 * time.Hour)}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	run(t, n)
	msgs := smtp.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "[payops] 8 started: Hold past its SLA or escalated" {
		t.Fatalf("emails %d, first %q: want one digest of 8", len(msgs), msgs[0].Subject)
	}
	for i := range 8 {
		if !strings.Contains(msgs[0].Body, fmt.Sprintf("STORM-%d", i)) {
			t.Errorf("the digest does not name STORM-%d", i)
		}
	}
	if got := recv.got(); len(got) != 1 || !strings.HasPrefix(got[0], "[payops] 8 started") {
		t.Fatalf("chat got %q, want one digest", got)
	}

	for i := range 8 {
		hold := openHolds(t, s, payoutOf(t, s, fmt.Sprintf("STORM-%d", i)).ID)[0]
		if _, err := s.RejectHold(ctx, hold.ID, store.Actor{UserID: decider, Name: "decider@example.com"}, "no", store.AnyShown); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(payout.ClearHoldDown + time.Second) // the database keeps microseconds, rounded
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "8 cleared"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Errorf("cleared: emails %v, want one digest to the owner", got)
	}
	if got := recv.got(); len(got) != 2 || !strings.HasPrefix(got[1], "[payops] 8 cleared") {
		t.Errorf("chat got %q, want the cleared digest", got)
	}
}

// An outbound endpoint the delivery job disabled for failing is told to
// admins and to the admin who added it, once each; an endpoint an admin
// disabled is not a condition; enabling it again clears it.
func TestDisabledEndpointGoesToAdminsAndItsOwner(t *testing.T) {
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	ctx := context.Background()
	owner := addUser(t, s, "owner@example.com", payout.RoleAdmin)
	addUser(t, s, "admin2@example.com", payout.RoleAdmin)
	addUser(t, s, "ops@example.com", payout.RoleOps)
	by := store.Actor{UserID: owner, Name: "owner@example.com"}
	failing, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://platform.example/hooks?token=t0p"}, by)
	if err != nil {
		t.Fatal(err)
	}
	manual, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://old.example/hooks"}, by)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'failing for 3 days'
		WHERE id = $1`, failing.ID)
	if err := s.SetWebhookEndpointEnabled(ctx, manual.ID, false, "moved to a new host", by); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	run(t, n)
	subject := fmt.Sprintf("endpoint #%d (platform.example) is disabled", failing.ID)
	got := recipientsOf(smtp.Messages(), subject)
	if strings.Join(got, ";") != "admin2@example.com;owner@example.com" &&
		strings.Join(got, ";") != "owner@example.com;admin2@example.com" {
		t.Fatalf("emails about %q: %v, want one each to owner@ and admin2@", subject, got)
	}
	for _, m := range smtp.Messages() {
		if strings.Contains(m.Subject, fmt.Sprintf("#%d", manual.ID)) || strings.Contains(m.Body, "t0p") {
			t.Errorf("unexpected email %q: %q", m.Subject, m.Body)
		}
	}
	if err := s.SetWebhookEndpointEnabled(ctx, failing.ID, true, "", by); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second) // the database keeps microseconds, rounded
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 2 {
		t.Fatalf("cleared: emails %v, want two", got)
	}
}

// An enabled endpoint failing every delivery for an hour is told to admins
// and its owner long before it is disabled; one failing for minutes is
// not; a delivery that goes through clears it.
func TestFailingEndpointIsToldBeforeItIsDisabled(t *testing.T) {
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	ctx := context.Background()
	owner := addUser(t, s, "owner@example.com", payout.RoleOps)
	addUser(t, s, "admin@example.com", payout.RoleAdmin)
	by := store.Actor{UserID: owner, Name: "owner@example.com"}
	failing, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://platform.example/hooks"}, by)
	if err != nil {
		t.Fatal(err)
	}
	brief, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://flaky.example/hooks"}, by)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`UPDATE webhook_endpoints SET failing_since = now() - interval '2 hours' WHERE id = $1`, failing.ID)
	s.DB().MustExec(`UPDATE webhook_endpoints SET failing_since = now() - interval '5 minutes' WHERE id = $1`, brief.ID)
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	run(t, n)
	subject := fmt.Sprintf("endpoint #%d (platform.example) is failing every delivery", failing.ID)
	got := recipientsOf(smtp.Messages(), subject)
	if strings.Join(got, ";") != "admin@example.com;owner@example.com" &&
		strings.Join(got, ";") != "owner@example.com;admin@example.com" {
		t.Fatalf("emails about %q: %v, want one each to owner@ and admin@", subject, got)
	}
	if got := recipientsOf(smtp.Messages(), fmt.Sprintf("#%d", brief.ID)); len(got) != 0 {
		t.Fatalf("an endpoint failing for minutes was told: %v", got)
	}
	// Three days on the delivery job disables it: that is told; its failing
	// is not "cleared", nor is an admin's disabling of another told one.
	s.DB().MustExec(`UPDATE webhook_endpoints SET failing_since = now() - interval '2 hours' WHERE id = $1`, brief.ID)
	clk.add(time.Minute)
	run(t, n)
	s.DB().MustExec(`UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'failing for 3 days' WHERE id = $1`,
		failing.ID)
	if err := s.SetWebhookEndpointEnabled(ctx, brief.ID, false, "retired", by); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), fmt.Sprintf("endpoint #%d (platform.example) is disabled", failing.ID)); len(got) != 2 {
		t.Fatalf("disabled by the job: emails %v, want two", got)
	}
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 0 {
		t.Fatalf("a failing endpoint disabled was told cleared: %v", got)
	}
	// Enabled again and delivering: it clears.
	if err := s.SetWebhookEndpointEnabled(ctx, failing.ID, true, "", by); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) < 2 {
		t.Fatalf("cleared: emails %v, want the owner and the admin told", got)
	}
}

// An exception case past its SLA: its owner is emailed once; resolved, the
// owner is told it cleared.
func TestOverdueCaseEmailsItsOwner(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	owner := addUser(t, s, "owner@example.com", payout.RoleOps)
	if err := s.UpdateCaseKinds(ctx, store.Actor{Name: "admin@example.com"}, []store.CaseKindChange{
		{Kind: payout.CaseFailed, OwnerID: &owner, SLAMinutes: 60}}, nil); err != nil {
		t.Fatal(err)
	}
	policy, _ := payout.ParsePolicy("INR=200000.00")
	intake(t, s, policy, "CASE-1", "nxtbanking", 100000)
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_1", RawStatus: "PENDING", Status: payout.Processing},
		{Source: payout.SourceWebhook, RawStatus: "FAILED", Status: payout.Failed, FailureReason: "bank declined"},
	} {
		if _, err := s.ApplyObservation(ctx, "CASE-1", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ScanExceptions(ctx, func(string, string) payout.FailureClass { return payout.FailUnknown }); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	if run(t, n); len(recipientsOf(smtp.Messages(), "Case #")) != 0 {
		t.Fatalf("within its SLA: %v, want no case email", smtp.Messages())
	}
	clk.add(61 * time.Minute)
	run(t, n)
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "past its SLA"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Fatalf("past its SLA: emails to %v, want one to owner@example.com", got)
	}
	cases, _, err := s.OpenCases(ctx, store.CaseFilter{})
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases %v, %v", cases, err)
	}
	if _, err := s.ResolveCase(ctx, cases[0].ID, store.Actor{UserID: owner, Name: "owner@example.com"}, "platform told"); err != nil {
		t.Fatal(err)
	}
	clk.add(payout.ClearHoldDown + time.Second) // the database keeps microseconds, rounded
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Cleared:"); len(got) != 1 || got[0] != "owner@example.com" {
		t.Fatalf("cleared: emails to %v, want one to the owner", got)
	}
}

// One mailbox's "not now" (452, full) fails that notice alone: the server
// is not down for the others, which go in the same run.
func TestAFullMailboxDoesNotHoldBackTheOthers(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	failedDrill(t, s, drillFailedByEmail, "full@example.com", "admin@example.com")
	smtp.MailboxFull("full@example.com")
	n := newNotifier(t, s, smtp, &clock{now: time.Now()})
	run(t, n)
	if got := recipientsOf(smtp.Messages(), "Failure drill"); len(got) != 1 || got[0] != "admin@example.com" {
		t.Errorf("emails %v, want admin@example.com's despite the full mailbox", got)
	}
	log, _, _ := s.Notifications(ctx, 10, 0)
	for _, l := range log {
		if l.Recipient == "full@example.com" && (l.State != "failed" || !strings.Contains(l.Error, "452")) {
			t.Errorf("the full mailbox's notice: %s %q, want failed with 452, to try again", l.State, l.Error)
		}
	}
}

// heldForReview gives the review reason its owners (owners) and takes in
// ref, a live payout above the review threshold: held for review.
// (A live provider's: the sandbox's payouts are test payouts, which raise
// no condition.)
func heldForReview(t *testing.T, s *store.Store, ref string, owners store.HoldReasonChange) {
	t.Helper()
	if err := s.UpdateHoldReasons(context.Background(), store.Actor{Name: "admin@example.com"},
		[]store.HoldReasonChange{owners}); err != nil {
		t.Fatal(err)
	}
	policy, _ := payout.ParsePolicy("INR=200000.00")
	intake(t, s, policy, ref, "nxtbanking", 30000000)
}

// A destination down fails its first notice of a run; the others it would
// have taken are given back untried, and the next run sends every one of
// them (none waits for its claim to end).
func TestUntriedNoticesAreGivenBack(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	failedDrill(t, s, drillFailedByEmail, "admin@example.com", "admin2@example.com")
	smtp.Refuse(true)
	clk := &clock{now: time.Now()}
	n := newNotifier(t, s, smtp, clk)
	if _, err := n.Run(ctx); err == nil {
		t.Fatal("a run with the mail server down did not fail")
	}
	var states []string
	s.DB().Select(&states, `SELECT state || ':' || attempts FROM notifications WHERE claimed_until IS NULL ORDER BY id`)
	if !slices.Equal(states, []string{"failed:1", "pending:0"}) {
		t.Fatalf("after the run: %v, want one failed and one untried, neither claimed", states)
	}
	smtp.Refuse(false)
	clk.add(time.Minute)
	if out := run(t, n); out.Changed != 2 {
		t.Errorf("the run after recovery sent %d, want both", out.Changed)
	}
	if got := recipientsOf(smtp.Messages(), "Failure drill"); len(got) != 2 {
		t.Errorf("emails to %v, want both admins", got)
	}
}

// drillFailedByEmail is the channel of failed drills: email, at the first.
var drillFailedByEmail = store.NotifyChannel{Kind: payout.CondDrillFailed, Email: true, ThresholdCount: 1}

// failedDrill makes the admins, sets ch, and records a drill run that
// failed (started by the first admin); it returns the run.
func failedDrill(t *testing.T, s *store.Store, ch store.NotifyChannel, admins ...string) store.DrillRun {
	t.Helper()
	for _, a := range admins {
		addUser(t, s, a, payout.RoleAdmin)
	}
	setChannel(t, s, ch)
	ctx := context.Background()
	run, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 10}, store.Actor{Name: admins[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDrillRun(ctx, run.ID, store.DrillFailed, map[string]int{"lost": 1}, ""); err != nil {
		t.Fatal(err)
	}
	return run
}

// A chat webhook added while a condition lasts is told it started at the
// next run, alone and once; the webhook told already hears nothing new,
// and both hear it clear.
func TestAChatWebhookAddedWhileAConditionLastsIsTold(t *testing.T) {
	s := pgtest.New(t)
	recv := newChatReceiver(t)
	first, second := recv.URL+"/hooks/first", recv.URL+"/hooks/second"
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondStuck, ChatURLs: []string{first}, ReminderMinutes: 0,
		ThresholdCount: 1})
	intake(t, s, payout.Policy{}, "STUCK-LATE", "nxtbanking", 100000)
	clk := &clock{now: time.Now().Add(15 * time.Minute)}
	n := newNotifier(t, s, nil, clk)
	run(t, n)
	if got := recv.got(); len(got) != 1 || !strings.HasPrefix(got[0], "[payops] Payouts stuck at nxtbanking") {
		t.Fatalf("the start: %q", got)
	}
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondStuck, ChatURLs: []string{first, second}, ReminderMinutes: 0,
		ThresholdCount: 1})
	for range 3 {
		clk.add(time.Minute)
		run(t, n)
	}
	got := recv.got()
	if len(got) != 2 || !strings.HasPrefix(got[1], "[payops] Payouts stuck at nxtbanking") {
		t.Fatalf("after a webhook was added: %q, want the start once more, for it", got)
	}
	var to []string
	s.DB().Select(&to, `SELECT recipient FROM notifications WHERE channel = 'chat' ORDER BY id`)
	if len(to) != 2 || to[0] != first || to[1] != second {
		t.Errorf("the starts went to %v, want the first webhook, then the added one", to)
	}
	s.DB().MustExec(`UPDATE payouts SET status = 'SUCCEEDED'`)
	clk.add(payout.ClearHoldDown + time.Second)
	run(t, n)
	if got := recv.got()[2:]; len(got) != 2 || !strings.HasPrefix(got[0], "[payops] Cleared: ") ||
		!strings.HasPrefix(got[1], "[payops] Cleared: ") {
		t.Errorf("the clearing: %q, want it told to both webhooks", got)
	}
}

// A user given a deciding role from the dashboard: compliance and the
// admins are emailed, once, but not the new decider, though compliance.
func TestANewDeciderIsToldOfToTheOthers(t *testing.T) {
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	admin := addUser(t, s, "admin@example.com", payout.RoleAdmin)
	addUser(t, s, "compliance@example.com", payout.RoleCompliance)
	addUser(t, s, "ops@example.com", payout.RoleOps)
	if _, err := s.AddUser(context.Background(), store.User{Email: "new@example.com", Name: "New", Role: payout.RoleCompliance,
		PasswordHash: "x"}, store.Actor{UserID: admin, Name: "admin@example.com"}, nil); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(t, s, smtp, &clock{now: time.Now()})
	run(t, n)
	run(t, n)
	got := recipientsOf(smtp.Messages(), "can decide as compliance")
	slices.Sort(got)
	if strings.Join(got, " ") != "admin@example.com compliance@example.com" {
		t.Fatalf("emails %v, want one each to admin@ and compliance@, none to the new decider or ops", got)
	}
}
