package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"payops/notify/email/smtptest"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// A one-off notice queued in a transaction that rolls back tells no one;
// one queued in a committed transaction reaches the user it names, every
// admin and the kind's chat webhook at the next run, once.
func TestNotifyOnceInTheChangesTransaction(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	recv := newChatReceiver(t)
	owner := addUser(t, s, "endpoint.owner@example.com", payout.RoleOps)
	addUser(t, s, "admin@example.com", payout.RoleAdmin)
	addUser(t, s, "finance@example.com", payout.RoleFinance)
	setChannel(t, s, store.NotifyChannel{Kind: payout.CondDrillFailed, Email: true, ChatURLs: []string{recv.URL},
		ThresholdCount: 1})
	once := store.OneOff{Kind: payout.CondDrillFailed, Key: "endpoint_disabled:7", Subject: "[payops] Endpoint 7 disabled",
		Body: "It failed for 3 days.", UserIDs: []int64{owner}, Roles: []payout.Role{payout.RoleAdmin}}
	rollback := errors.New("roll back")
	err := s.WithTx(ctx, func(q store.Querier) error {
		if _, err := store.NotifyOnce(ctx, q, once); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	var queued int
	err = s.WithTx(ctx, func(q store.Querier) (err error) {
		queued, err = store.NotifyOnce(ctx, q, once)
		return err
	})
	if err != nil || queued != 3 {
		t.Fatalf("queued %d (%v), want 3: the owner, the admin, the chat webhook", queued, err)
	}
	n := newNotifier(t, s, smtp, &clock{now: time.Now()})
	run(t, n)
	run(t, n)
	got := recipientsOf(smtp.Messages(), "Endpoint 7 disabled")
	if strings.Join(got, " ") != "endpoint.owner@example.com admin@example.com" {
		t.Errorf("emails to %v, want the owner and the admin, once each", got)
	}
	if chat := recv.got(); len(chat) != 1 || !strings.Contains(chat[0], "Endpoint 7 disabled") {
		t.Errorf("chat got %q, want the notice once", chat)
	}
}

// With no SMTP server configured, an email notice queued by another
// instance is abandoned at once, saying why, not tried every minute.
func TestEmailWithoutSMTPIsAbandoned(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	admin := addUser(t, s, "admin@example.com", payout.RoleAdmin)
	if _, err := s.QueueNotice(ctx, store.NewNotice{ConditionKey: "test:stuck", Kind: payout.CondStuck, Notice: "test",
		Channel: store.ChannelEmail, UserID: &admin, Recipient: "admin@example.com", Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(t, s, nil, &clock{now: time.Now()})
	run(t, n)
	log, _, _ := s.Notifications(ctx, 10, 0)
	if len(log) != 1 || log[0].State != "abandoned" || !strings.Contains(log[0].Error, "PAYOPS_SMTP_URL") {
		t.Fatalf("log %+v, want the notice abandoned saying PAYOPS_SMTP_URL is not set", log)
	}
}

// An address the mail server refuses for good is abandoned at once with
// the server's answer, and does not hold up the other recipients' email.
func TestARefusedAddressDoesNotHoldUpTheOthers(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	smtp.NoSuchMailbox("gone@example.com")
	addUser(t, s, "gone@example.com", payout.RoleAdmin)
	addUser(t, s, "admin@example.com", payout.RoleAdmin)
	helloAdmins(t, s)
	n := newNotifier(t, s, smtp, &clock{now: time.Now()})
	if out := run(t, n); out.Changed != 1 {
		t.Fatalf("sent %d, want 1", out.Changed)
	}
	if got := recipientsOf(smtp.Messages(), "hello"); len(got) != 1 || got[0] != "admin@example.com" {
		t.Errorf("emails %v, want one to admin@example.com", got)
	}
	log, _, _ := s.Notifications(ctx, 10, 0)
	for _, l := range log {
		if l.Recipient == "gone@example.com" && (l.State != "abandoned" || !strings.Contains(l.Error, "550")) {
			t.Errorf("the refused address: %s %q, want abandoned with the 550", l.State, l.Error)
		}
	}
}

// failingMarks is the store, but recording a notice's try fails: the
// database gone between sending and marking.
type failingMarks struct{ *store.Store }

func (failingMarks) MarkNotice(context.Context, int64, time.Time, error, int) error {
	return errors.New("database gone")
}

// Once a sent notice cannot be marked, no more are sent in that run: each
// would be pending still, and sent again when the database is back.
func TestSendStopsWhenANoticeCannotBeMarked(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	smtp := smtptest.New(t)
	for _, a := range []string{"a1@example.com", "a2@example.com", "a3@example.com"} {
		addUser(t, s, a, payout.RoleAdmin)
	}
	helloAdmins(t, s)
	n := newNotifier(t, s, smtp, &clock{now: time.Now()})
	n.Store = failingMarks{s}
	if sent, err := n.Send(ctx); err == nil || sent != 1 {
		t.Fatalf("Send = %d, %v; want 1 sent, then the marking's error", sent, err)
	}
	if got := len(smtp.Messages()); got != 1 {
		t.Errorf("%d emails sent, want 1: none after the first could not be marked", got)
	}
}

// helloAdmins queues a one-off notice, subject "hello", to every admin.
func helloAdmins(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	err := s.WithTx(ctx, func(q store.Querier) error {
		_, err := store.NotifyOnce(ctx, q, store.OneOff{Kind: payout.CondDrillFailed, Key: "k", Subject: "hello",
			Body: "b", Roles: []payout.Role{payout.RoleAdmin}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
