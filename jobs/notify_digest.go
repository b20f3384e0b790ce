package jobs

import (
	"fmt"
	"strings"

	"payops/payout"
	"payops/store"
)

// digestOver is how many notices of one kind and notice a recipient may
// get from one run before they become one digest: a storm of conditions
// (forty holds past their SLA after a night's outage) is one message to
// each owner and each chat webhook, not forty.
const digestOver = 3

// digestLines is how many conditions a digest names; it counts the rest.
const digestLines = 25

// digest returns notices with each recipient's notices of one kind and
// notice merged into one when there are more than digestOver, in the order
// of their first.
func digest(notices []store.NewNotice) []store.NewNotice {
	groups := map[string][]store.NewNotice{}
	var order []string
	for _, nt := range notices {
		k := strings.Join([]string{nt.Channel, nt.Recipient, string(nt.Kind), string(nt.Notice)}, "\x00")
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], nt)
	}
	out := make([]store.NewNotice, 0, len(order))
	for _, k := range order {
		g := groups[k]
		if len(g) <= digestOver {
			out = append(out, g...)
			continue
		}
		out = append(out, merged(g))
	}
	return out
}

// merged is one notice for many of one kind, naming each (up to
// digestLines) by its subject.
func merged(list []store.NewNotice) store.NewNotice {
	first := list[0]
	word := map[payout.Notice]string{payout.NoticeStarted: "started", payout.NoticeReminder: "still on",
		payout.NoticeCleared: "cleared"}[first.Notice]
	out := first
	out.ConditionKey = string(first.Kind) + ":*"
	out.Subject = fmt.Sprintf("[payops] %d %s: %s", len(list), word, first.Kind.Label())
	var b strings.Builder
	for i, nt := range list {
		if i == digestLines {
			fmt.Fprintf(&b, "… and %d more.\n", len(list)-digestLines)
			break
		}
		b.WriteString("- " + strings.TrimPrefix(nt.Subject, "[payops] ") + "\n")
	}
	out.Body = b.String()
	return out
}
