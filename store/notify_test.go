package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"payops/migrations"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Pruning keeps what is pending or failed (it is still to be sent) and
// active conditions, whatever their age.
func TestPruneNotifications(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	old := time.Now().Add(-100 * 24 * time.Hour)
	for _, state := range []string{"sent", "abandoned", "failed", "pending"} {
		id, err := s.QueueNotice(ctx, store.NewNotice{ConditionKey: "stuck:sandbox", Kind: payout.CondStuck,
			Notice: payout.NoticeStarted, Channel: store.ChannelChat, Recipient: "https://chat.example/x", Subject: state})
		if err != nil {
			t.Fatal(err)
		}
		switch state {
		case "sent":
			err = s.MarkNotice(ctx, id, old, nil, 5)
		case "abandoned":
			err = s.MarkNotice(ctx, id, old, errors.New("down"), 1)
		case "failed":
			err = s.MarkNotice(ctx, id, old, errors.New("down"), 5)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s.DB().MustExec(`UPDATE notifications SET created_at = $1`, old)
	for _, c := range []store.Condition{{Key: "stuck:a", Kind: payout.CondStuck, ClearedAt: &old},
		{Key: "stuck:b", Kind: payout.CondStuck, ActiveSince: &old}} {
		if err := s.SaveConditions(ctx, []store.Condition{c}, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneNotifications(ctx, time.Now().Add(-90*24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("pruned %d (%v), want 3: the sent and abandoned notices, the cleared condition", n, err)
	}
	left, total, _ := s.Notifications(ctx, 10, 0)
	if total != 2 || left[0].State == "sent" || left[1].State == "sent" {
		t.Errorf("left %d notices: %+v", total, left)
	}
	states, _ := s.Conditions(ctx, []string{"stuck:a", "stuck:b"})
	if _, ok := states["stuck:a"]; ok || states["stuck:b"].ActiveSince == nil {
		t.Errorf("conditions left: %+v", states)
	}
}

// Refused webhooks of the test providers (the forged-webhooks drill refuses
// a hundred on purpose) tell nobody; a live provider's do.
func TestRejectionsLeaveOutTestProviders(t *testing.T) {
	s := pgtest.New(t)
	s.DB().MustExec(`INSERT INTO webhook_deliveries (provider, headers, body, payload, verified, event_id, outcome)
		SELECT p, '{}', '\x7b7d'::bytea, '', false, p || g, 'rejected'
		FROM unnest(ARRAY['drill', 'sandbox', 'razorpayx']) p, generate_series(1, 30) g`)
	got, err := s.RejectionsByProvider(context.Background(), time.Now().Add(-time.Hour), 20)
	if err != nil || len(got) != 1 || got[0].Provider != "razorpayx" || got[0].Count != 30 {
		t.Errorf("rejections %+v %v, want razorpayx's 30 only", got, err)
	}
}

// A destination whose notices pile up (a chat webhook gone) takes at most
// half of a run's batch: the mail server's notices behind them still go.
func TestOneDeadDestinationDoesNotHoldTheOthersNotices(t *testing.T) {
	s := pgtest.New(t)
	s.DB().MustExec(`INSERT INTO notifications (condition_key, kind, notice, channel, recipient, subject, body, state, attempts)
		SELECT 'provider_down:x', 'provider_down', 'started', 'chat', 'https://hooks.example.com/gone', 's', 'b', 'failed', 3
		FROM generate_series(1, 300)`)
	s.DB().MustExec(`INSERT INTO notifications (condition_key, kind, notice, channel, recipient, subject, body)
		VALUES ('provider_down:x', 'provider_down', 'started', 'email', 'ops@example.com', 's', 'b')`)
	due, err := s.ClaimNotices(context.Background(), 200, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	chat, email := 0, 0
	for _, n := range due {
		if n.Channel == store.ChannelChat {
			chat++
		} else {
			email++
		}
	}
	if chat != 100 || email != 1 {
		t.Errorf("a run's notices: %d chat, %d email; want 100 of the dead webhook's and the email", chat, email)
	}
}

// A run claims the notices it will try: another run beside it (two
// instances running the notify job at once after a failover) gets none of
// them, however the two interleave, until a try is recorded (sent: gone)
// or the notice is given back or its lease ends.
func TestNoticesAreClaimedByOneRun(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	s.DB().MustExec(`INSERT INTO notifications (condition_key, kind, notice, channel, recipient, subject, body)
		SELECT 'provider_down:x', 'provider_down', 'started', 'email', 'ops' || i || '@example.com', 's', 'b'
		FROM generate_series(1, 40) i`)
	var wg sync.WaitGroup
	got := make([][]store.Notification, 4)
	for i := range got {
		wg.Go(func() {
			ns, err := s.ClaimNotices(ctx, 200, time.Minute)
			if err != nil {
				t.Error(err)
			}
			got[i] = ns
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, ns := range got {
		for _, n := range ns {
			if seen[n.ID] {
				t.Errorf("notice %d claimed by two runs", n.ID)
			}
			seen[n.ID] = true
		}
	}
	if len(seen) != 40 {
		t.Fatalf("%d notices claimed, want all 40", len(seen))
	}
	if again, err := s.ClaimNotices(ctx, 200, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("claimed again within the lease: %d %v", len(again), err)
	}
	ids := []int64{}
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if err := s.MarkNotice(ctx, ids[0], time.Now(), nil, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNotice(ctx, ids[1], time.Now(), errors.New("451 try later"), 5); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseNotices(ctx, ids[2:4]); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`UPDATE notifications SET claimed_until = now() - interval '1 second' WHERE id = $1`, ids[4])
	next, err := s.ClaimNotices(ctx, 200, time.Minute)
	var nextIDs []int64
	for _, n := range next {
		nextIDs = append(nextIDs, n.ID)
	}
	// The failed one waits for a run again, the sent one is done.
	if want := []int64{ids[1], ids[2], ids[3], ids[4]}; err != nil || !slices.Equal(nextIDs, want) {
		t.Errorf("the next run claims %v %v, want %v (tried and failed, given back, lease over)", nextIDs, err, want)
	}
}

// A chat webhook taken out of a kind's settings is posted to no more: its
// waiting notices are given up, saying why; the kept webhook's and the
// emails wait on.
func TestARemovedChatWebhookIsNotPostedTo(t *testing.T) {
	s := pgtest.New(t)
	ctx := context.Background()
	s.DB().MustExec(`INSERT INTO notifications (condition_key, kind, notice, channel, recipient, subject, body, state)
		VALUES ('stuck:x', 'stuck', 'started', 'chat', 'https://hooks.example.com/old', 's', 'b', 'failed'),
			('stuck:x', 'stuck', 'started', 'chat', 'https://hooks.example.com/kept', 's', 'b', 'pending'),
			('stuck:x', 'stuck', 'started', 'email', 'ops@example.com', 's', 'b', 'pending'),
			('dayend:x', 'dayend_differences', 'started', 'chat', 'https://hooks.example.com/old', 's', 'b', 'pending')`)
	s.DB().MustExec(`INSERT INTO notify_conditions (key, kind, subject, active_since, told_chat)
		VALUES ('stuck:x', 'stuck', 's', now(), $1)`, pq.StringArray{payout.ChatKey("https://hooks.example.com/old"),
		payout.ChatKey("https://hooks.example.com/kept")})
	err := s.UpdateNotifyChannel(ctx, store.NotifyChannel{Kind: "stuck", Email: true, ThresholdCount: 1,
		ChatURLs: pq.StringArray{"https://hooks.example.com/kept"}}, store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// A try of the old webhook's notice already under way when it was
	// removed, failing, leaves it abandoned.
	var oldID int64
	s.DB().Get(&oldID, `SELECT id FROM notifications WHERE kind = 'stuck' AND recipient = 'https://hooks.example.com/old'`)
	if err := s.MarkNotice(ctx, oldID, time.Now(), errors.New("connection refused"), 100); err != nil {
		t.Fatal(err)
	}
	var told []string
	s.DB().Select(&told, `SELECT unnest(told_chat) FROM notify_conditions WHERE key = 'stuck:x'`)
	if len(told) != 1 || told[0] != payout.ChatKey("https://hooks.example.com/kept") {
		t.Errorf("told after the old webhook was removed: %v, want the kept one alone (added back, it is told again)", told)
	}
	var states []string
	s.DB().Select(&states, `SELECT kind || ' ' || recipient || ' ' || state || ' ' || error FROM notifications ORDER BY id`)
	want := []string{"stuck https://hooks.example.com/old abandoned its chat webhook was removed from the settings",
		"stuck https://hooks.example.com/kept pending ", "stuck ops@example.com pending ",
		"dayend_differences https://hooks.example.com/old pending "}
	if strings.Join(states, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices after the old webhook was removed:\n%s\nwant\n%s", strings.Join(states, "\n"), strings.Join(want, "\n"))
	}
}

// Migration 00060 counts the webhooks of now as told to a condition active
// and told at the upgrade, named as payout.ChatKey names them, so none is
// told again; one not active, or never told, has none told.
func TestTheUpgradeCountsTheWebhooksOfNowAsTold(t *testing.T) {
	s := storeAt(t, 59)
	url := "https://hooks.example.com/services/T0/B0/é"
	s.DB().MustExec(`UPDATE notify_channels SET chat_urls = $1 WHERE kind = 'stuck'`, pq.StringArray{url})
	s.DB().MustExec(`INSERT INTO notify_conditions (key, kind, subject, active_since, last_notice_at, cleared_at) VALUES
		('stuck:told', 'stuck', 's', now(), now(), NULL), ('stuck:untold', 'stuck', 's', now(), NULL, NULL),
		('stuck:over', 'stuck', 's', NULL, now(), now())`)
	if _, err := migrations.UpTo(context.Background(), s.DB().DB, 60); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, err := s.DB().Query(`SELECT key, array_to_string(told_chat, ',') FROM notify_conditions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, told string
		if err := rows.Scan(&key, &told); err != nil {
			t.Fatal(err)
		}
		got[key] = told
	}
	want := map[string]string{"stuck:told": payout.ChatKey(url), "stuck:untold": "", "stuck:over": ""}
	for key, told := range want {
		if got[key] != told {
			t.Errorf("%s told %q after the upgrade, want %q", key, got[key], told)
		}
	}
}
