package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/lib/pq"

	"payops/payout"
	"payops/store"
)

// Active is a condition an evaluator found active now.
type Active struct {
	Key     string  // kind:identity, such as hold_overdue:42 or stuck:xendit
	Subject string  // one line: "Hold #42 on PO-7 (Sanctions) is past its SLA"
	Detail  string  // more lines for the message body
	Path    string  // the dashboard page to open: "/holds"
	UserIDs []int64 // people the condition names, besides its kind's roles
	// Except are people of its kind's roles not told: the person the
	// condition is about (a new decider is not warned of themselves).
	Except []int64
	// Quiet keeps the condition as it is without telling anyone: not
	// cleared, not started, not reminded of (an endpoint's "failing" while
	// it is disabled: not news, and not over either).
	Quiet bool
}

// Condition is one kind of condition and how to find the active ones;
// the notify job evaluates each kind on every run. ch is the kind's
// settings, with its thresholds.
type Condition struct {
	Kind     payout.ConditionKind
	Evaluate func(ctx context.Context, now time.Time, ch store.NotifyChannel) ([]Active, error)
}

// NotifyStore is what the notify job needs of the store.
type NotifyStore interface {
	NotifyChannels(ctx context.Context) (map[payout.ConditionKind]store.NotifyChannel, error)
	Conditions(ctx context.Context, keys []string) (map[string]store.Condition, error)
	SaveConditions(ctx context.Context, changed []store.Condition, notices []store.NewNotice) error
	Recipients(ctx context.Context, ids []int64, roles []payout.Role) ([]store.Recipient, error)
	ClaimNotices(ctx context.Context, limit int, lease time.Duration) ([]store.Notification, error)
	ReleaseNotices(ctx context.Context, ids []int64) error
	MarkNotice(ctx context.Context, id int64, at time.Time, sendErr error, maxAttempts int) error
}

// Mailer sends one email.
type Mailer interface {
	// SendAs sends one message whose Message-ID is made of id, the same
	// for every try of one notice.
	SendAs(ctx context.Context, id, to, subject, body string) error
}

// ChatPoster posts one message to a chat webhook.
type ChatPoster interface {
	Post(ctx context.Context, webhookURL, text string) error
}

// Notifier is the notify job: it evaluates every condition, decides by
// payout.DecideNotice which notices each calls for (edge-triggered: once
// when it starts, a reminder at its kind's interval, once when it clears),
// writes them with the condition's new state in one transaction, and sends
// every notice not sent yet, its own and those other packages queued
// (store.QueueNotices). A notice that fails stays in the log with its error
// and is tried again at the next run.
type Notifier struct {
	Store      NotifyStore
	Conditions []Condition
	Email      Mailer // nil when PAYOPS_SMTP_URL is not set: no email is written
	Chat       ChatPoster
	Log        *slog.Logger
	Now        func() time.Time
	// MaxAttempts is how many tries a notice gets before it is abandoned
	// (a day of runs a minute apart by default).
	MaxAttempts int
	// PublicURL is the dashboard's address (PAYOPS_PUBLIC_URL): a notice's
	// page is linked under it, so chat and mail make it a link; "" names
	// the page's path alone.
	PublicURL string
}

// Run evaluates the conditions and sends what is due; Examined counts
// the active conditions, Changed the notices sent.
func (n *Notifier) Run(ctx context.Context) (Outcome, error) {
	active, evalErr := n.Evaluate(ctx)
	sent, sendErr := n.Send(ctx)
	return Outcome{Examined: active, Changed: sent}, errors.Join(evalErr, sendErr)
}

// Evaluate finds the active conditions and records, in one transaction,
// their new states and the notices they call for; it returns how many
// conditions are active. A kind whose evaluator fails is left as it was
// (its conditions are not taken as cleared) and its error returned with
// the others'.
func (n *Notifier) Evaluate(ctx context.Context) (int, error) {
	now := n.Now()
	channels, err := n.Store.NotifyChannels(ctx)
	if err != nil {
		return 0, err
	}
	found := map[string]Active{}
	kindOf := map[string]payout.ConditionKind{}
	evaluated := map[payout.ConditionKind]bool{}
	var errs []error
	for _, c := range n.Conditions {
		list, err := c.Evaluate(ctx, now, channels[c.Kind])
		if err != nil {
			errs = append(errs, fmt.Errorf("notify: condition %s: %w", c.Kind, err))
			continue
		}
		evaluated[c.Kind] = true
		for _, a := range list {
			found[a.Key], kindOf[a.Key] = a, c.Kind
		}
	}
	keys := slices.Sorted(maps.Keys(found))
	states, err := n.Store.Conditions(ctx, keys)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	run := &evaluation{n: n, now: now, people: map[string][]store.Recipient{}}
	for _, k := range keys {
		kind := kindOf[k]
		errs = append(errs, run.active(ctx, kind, found[k], states[k], channels[kind]))
	}
	for _, k := range slices.Sorted(maps.Keys(states)) {
		st := states[k]
		if _, ok := found[k]; ok || st.ActiveSince == nil || !evaluated[st.Kind] || !payout.ClearDue(st.State(), now) {
			continue
		}
		errs = append(errs, run.cleared(ctx, st, channels[st.Kind]))
	}
	if len(run.changed) > 0 {
		errs = append(errs, n.Store.SaveConditions(ctx, run.changed, digest(run.notices)))
	}
	return len(found), errors.Join(errs...)
}

// evaluation is one run's decisions: the conditions whose state changed and
// the notices to write with them.
type evaluation struct {
	n       *Notifier
	now     time.Time
	changed []store.Condition
	notices []store.NewNotice
	people  map[string][]store.Recipient // recipients looked up this run, by whom they were asked for
}

// recipients returns the users among ids and of roles, once a run for the
// same question (a storm of one kind asks for the same roles each time).
func (e *evaluation) recipients(ctx context.Context, ids []int64, roles []payout.Role) ([]store.Recipient, error) {
	key := fmt.Sprint(ids, roles)
	if r, ok := e.people[key]; ok {
		return r, nil
	}
	r, err := e.n.Store.Recipients(ctx, ids, roles)
	if err == nil {
		e.people[key] = r
	}
	return r, err
}

// active decides for one active condition: started, a reminder, people it
// came to name (told it started), or nothing.
func (e *evaluation) active(ctx context.Context, kind payout.ConditionKind, a Active, prev store.Condition,
	ch store.NotifyChannel) error {
	if a.Quiet {
		return nil
	}
	now := e.now
	next := store.Condition{Key: a.Key, Kind: kind, Subject: a.Subject, ActiveSince: prev.ActiveSince,
		LastNoticeAt: prev.LastNoticeAt, ClearedAt: prev.ClearedAt, ToldUserIDs: prev.ToldUserIDs, ToldChat: prev.ToldChat}
	notice := payout.DecideNotice(prev.State(), true, now, ch.Reminder())
	emailing := e.n.emailing(ch)
	var to []int64 // people it came to name, told by email
	switch notice {
	case payout.NoticeStarted:
		next.ActiveSince, next.LastNoticeAt, next.ClearedAt, next.ToldUserIDs = &now, &now, nil, nil
	case payout.NoticeReminder:
		next.LastNoticeAt = &now
	default:
		if emailing {
			to = payout.Joined(prev.ToldUserIDs, a.UserIDs)
		}
		if newChats := payout.UntoldChats(ch.ChatURLs, prev.ToldChat); len(newChats) > 0 {
			// A webhook added while it lasts is told it started, alone.
			msg := message(payout.NoticeStarted, a, next.ActiveSince, now, e.n.PublicURL)
			only := ch
			only.ChatURLs, only.Email = newChats, false
			e.notices = append(e.notices, e.n.notices(kind, a.Key, payout.NoticeStarted, msg, nil, only, true)...)
			next.ToldChat = told(ch.ChatURLs)
			if len(to) == 0 {
				e.changed = append(e.changed, next)
				return nil
			}
		}
		if len(to) == 0 {
			if prev.Subject != a.Subject {
				e.changed = append(e.changed, next)
			}
			return nil
		}
	}
	var recipients []store.Recipient
	var err error
	if notice != payout.NoticeNone {
		recipients, err = e.recipients(ctx, a.UserIDs, kind.Audience())
	} else {
		recipients, err = e.recipients(ctx, to, nil)
		notice = payout.NoticeStarted // "this is yours now": the start, for them
	}
	if err != nil {
		return err
	}
	if len(a.Except) > 0 { // a copy: e.recipients' lists are shared between conditions
		recipients = slices.DeleteFunc(slices.Clone(recipients), func(r store.Recipient) bool { return slices.Contains(a.Except, r.ID) })
	}
	if len(to) > 0 && len(recipients) == 0 {
		// The people it came to name cannot be emailed (disabled since):
		// nothing to tell, and the condition is not rewritten every run —
		// unless a webhook was told it started just now, which is kept.
		if prev.Subject != a.Subject || !slices.Equal(next.ToldChat, prev.ToldChat) {
			e.changed = append(e.changed, next)
		}
		return nil
	}
	msg := message(notice, a, next.ActiveSince, now, e.n.PublicURL)
	e.notices = append(e.notices, e.n.notices(kind, a.Key, notice, msg, recipients, ch, len(to) == 0)...)
	if len(to) == 0 {
		next.ToldChat = told(ch.ChatURLs) // every webhook was told: started, or a reminder
	}
	// Only those emailed are told: with email off (the kind's, or no
	// PAYOPS_SMTP_URL) nobody is, and once it is on, the people the
	// condition names hear it started rather than, later, only that it
	// cleared.
	for _, r := range recipients {
		if emailing && !slices.Contains(next.ToldUserIDs, r.ID) {
			next.ToldUserIDs = append(next.ToldUserIDs, r.ID)
		}
	}
	e.changed = append(e.changed, next)
	return nil
}

// told is the ChatKey of each of urls, as a condition keeps them.
func told(urls []string) pq.StringArray { return payout.ChatKeys(urls) }

// cleared decides for a condition that cleared: whoever was told it
// started is told.
func (e *evaluation) cleared(ctx context.Context, st store.Condition, ch store.NotifyChannel) error {
	recipients, err := e.recipients(ctx, st.ToldUserIDs, nil)
	if err != nil {
		return err
	}
	a := Active{Key: st.Key, Subject: st.Subject}
	msg := message(payout.NoticeCleared, a, st.ActiveSince, e.now, e.n.PublicURL)
	e.notices = append(e.notices, e.n.notices(st.Kind, st.Key, payout.NoticeCleared, msg, recipients, ch, true)...)
	next := st
	next.ActiveSince, next.ClearedAt, next.ToldUserIDs, next.ToldChat = nil, &e.now, pq.Int64Array{}, pq.StringArray{}
	e.changed = append(e.changed, next)
	return nil
}

// emailing reports whether notices of a kind with channels ch are emailed:
// its email is on and this instance has PAYOPS_SMTP_URL.
func (n *Notifier) emailing(ch store.NotifyChannel) bool { return ch.Email && n.Email != nil }

// notices is one notice per recipient by email (when email is on and
// configured) and one per chat webhook of the kind (when chat is true).
func (n *Notifier) notices(kind payout.ConditionKind, key string, notice payout.Notice, msg text,
	recipients []store.Recipient, ch store.NotifyChannel, chat bool) []store.NewNotice {
	var out []store.NewNotice
	if n.emailing(ch) {
		for _, r := range recipients {
			id := r.ID
			out = append(out, store.NewNotice{ConditionKey: key, Kind: kind, Notice: notice, Channel: store.ChannelEmail,
				UserID: &id, Recipient: r.Email, Subject: msg.subject, Body: msg.body})
		}
	}
	if chat {
		for _, u := range ch.ChatURLs {
			out = append(out, store.NewNotice{ConditionKey: key, Kind: kind, Notice: notice, Channel: store.ChannelChat,
				Recipient: u, Subject: msg.subject, Body: msg.body})
		}
	}
	return out
}

// text is a notice's words.
type text struct{ subject, body string }

// message words a notice: the subject says which notice and what; the body
// adds the detail, how long it has lasted, where to look, and the
// condition's key.
func message(notice payout.Notice, a Active, since *time.Time, now time.Time, publicURL string) text {
	prefix := map[payout.Notice]string{payout.NoticeStarted: "", payout.NoticeReminder: "Still: ",
		payout.NoticeCleared: "Cleared: "}[notice]
	t := text{subject: "[payops] " + prefix + a.Subject}
	body := ""
	if a.Detail != "" {
		body += a.Detail + "\n"
	}
	if since != nil {
		from := since.UTC().Format("2006-01-02 15:04 UTC")
		switch notice {
		case payout.NoticeReminder:
			body += fmt.Sprintf("Since %s (%s).\n", from, minutes(now.Sub(*since)))
		case payout.NoticeCleared:
			body += fmt.Sprintf("It lasted %s, from %s.\n", minutes(now.Sub(*since)), from)
		}
	}
	if a.Path != "" && notice != payout.NoticeCleared {
		if publicURL != "" {
			body += "Open " + publicURL + a.Path + "\n"
		} else {
			body += "Open " + a.Path + " on the payops dashboard.\n"
		}
	}
	t.body = body + "\n(" + a.Key + ")"
	return t
}
