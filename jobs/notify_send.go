package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"payops/store"
)

// sendBatch is how many notices one run sends at most; the rest wait for
// the next run.
const sendBatch = 200

// claimLease is how long a run holds the notices it claimed, so no other
// run sends them meanwhile; a run that dies leaves them waiting that long.
// A run stops trying its notices a minute before (sendFor) and gives the
// rest back: a slow destination never outlasts the claim.
const (
	claimLease = 5 * time.Minute
	sendFor    = claimLease - time.Minute
)

// errNoMailer is a queued email notice's error when PAYOPS_SMTP_URL is not
// set on the instance that sends it.
var errNoMailer = errors.New("email is not configured: set PAYOPS_SMTP_URL")

// Send sends the notices not sent yet, oldest first, and returns how many
// went. Each try is recorded on its notice (sent, or failed with its error
// to be tried at the next run; abandoned at once when trying again cannot
// help, as for an address the mail server refuses). Once a destination
// fails in a run (the SMTP server, one chat webhook), its other notices
// wait for the next run untried, so a server that is down costs one timeout
// a run, not one a notice.
func (n *Notifier) Send(ctx context.Context) (int, error) {
	claimed := time.Now() // the lease is on the database's clock: this measures its length
	pending, err := n.Store.ClaimNotices(ctx, sendBatch, claimLease)
	if err != nil {
		return 0, err
	}
	down := map[string]bool{}
	sent := 0
	var errs []error
	var untried []int64
	for i, p := range pending {
		if ctx.Err() != nil || time.Since(claimed) > sendFor {
			for _, p := range pending[i:] {
				untried = append(untried, p.ID)
			}
			break
		}
		dest := "smtp"
		if p.Channel == store.ChannelChat {
			dest = "chat " + p.Recipient
		}
		if down[dest] {
			untried = append(untried, p.ID)
			continue
		}
		sendErr := n.send(ctx, p)
		tries := n.maxAttempts()
		switch {
		case sendErr == nil:
			sent++
		case errors.Is(sendErr, errNoMailer) || isPermanent(sendErr):
			tries = 1 // no use trying again: abandoned at once, saying why
		case recipientOnly(sendErr):
			// One mailbox said "not now": that notice waits; the others go.
		default:
			down[dest] = true
		}
		if sendErr != nil {
			// The recipient is an address or a secret URL: the log names the
			// notice and the channel, the error its cause (the clients never
			// repeat a URL or password).
			n.Log.Warn("notice not sent", "notification_id", p.ID, "condition", p.ConditionKey, "channel", p.Channel,
				"attempt", p.Attempts+1, "err", sendErr)
		}
		// Marked even when the run is being cancelled (a notice sent at
		// shutdown is not sent again by the next instance); and once a
		// notice cannot be marked (the database gone), no more are sent:
		// each would go again when it is back.
		mctx, cancel := afterCall(ctx)
		err := n.Store.MarkNotice(mctx, p.ID, n.Now(), sendErr, tries)
		cancel()
		if err != nil {
			// The rest stay claimed: with the database gone they could not
			// be given back either, and the lease ends.
			errs = append(errs, err)
			break
		}
	}
	if len(untried) > 0 {
		// Given back for the next run; were this lost, the lease would end.
		rctx, cancel := afterCall(ctx)
		if err := n.Store.ReleaseNotices(rctx, untried); err != nil {
			n.Log.Warn("untried notices not given back: they wait for their claim to end", "notices", len(untried), "err", err)
		}
		cancel()
	}
	if len(down) > 0 {
		// The run failed at its work: the jobs page and the job alert say
		// so (the destinations by kind only: a chat URL is a secret).
		var names []string
		chats := 0
		for d := range down {
			if d == "smtp" {
				names = append(names, "the mail server")
			} else {
				chats++
			}
		}
		if chats > 0 {
			names = append(names, fmt.Sprintf("%d chat webhook(s)", chats))
		}
		errs = append(errs, fmt.Errorf("notices wait for the next run: %s did not take them (their errors are on "+
			"/notifications)", strings.Join(names, " and ")))
	}
	return sent, errors.Join(errs...)
}

func (n *Notifier) send(ctx context.Context, p store.Notification) error {
	if p.Channel == store.ChannelChat {
		return n.Chat.Post(ctx, p.Recipient, p.Subject+"\n"+p.Body)
	}
	if n.Email == nil {
		return errNoMailer
	}
	return n.Email.SendAs(ctx, fmt.Sprintf("notice-%d", p.ID), p.Recipient, p.Subject, p.Body)
}

func (n *Notifier) maxAttempts() int {
	if n.MaxAttempts > 0 {
		return n.MaxAttempts
	}
	return 24 * 60
}

// isPermanent reports whether err says sending again fails the same way
// (an address the mail server refuses for good).
func isPermanent(err error) bool {
	p, ok := errors.AsType[interface {
		error
		Permanent() bool
	}](err)
	return ok && p.Permanent()
}

// recipientOnly reports a failure of one recipient (a mailbox's "not now"),
// not of the channel.
func recipientOnly(err error) bool {
	r, ok := errors.AsType[interface {
		error
		RecipientOnly() bool
	}](err)
	return ok && r.RecipientOnly()
}
