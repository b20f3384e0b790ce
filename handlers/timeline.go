package handlers

import (
	"fmt"
	"sort"
	"time"

	"payops/store"
	"payops/views"
)

// maskedJSON is an audit entry's details for people: indented, account
// numbers masked whatever key carries them.
func maskedJSON(b []byte) string { return MaskBody(b) }

// timeline merges what happened to a payout into one list, oldest first:
// every status event (with the webhook it came from), every delivery that
// made no event (duplicates, ignored events), and payops' own actions from
// the audit log (observations are already there as events), each as a
// sentence. Repeated identical checks that changed nothing are one row.
func timeline(u User, provider string, events []store.Event, deliveries []store.Delivery, audit []store.AuditEntry) []views.TimelineItem {
	type item struct {
		at   time.Time
		last time.Time // of a collapsed run of checks
		n    int       // how many checks it stands for
		key  string    // what makes two checks the same
		views.TimelineItem
	}
	var items []item
	byDelivery := map[int64]store.Delivery{}
	for _, d := range deliveries {
		byDelivery[d.ID] = d
	}
	used := map[int64]bool{}
	for _, e := range events {
		it := views.TimelineItem{Source: string(e.Source), Status: e.Status, Decision: e.Decision, Actor: e.Actor}
		evType := ""
		if e.DeliveryID != nil {
			if d, ok := byDelivery[*e.DeliveryID]; ok {
				it.Headers, it.Body, it.EventID, evType = headerLines(d.HeadersRaw), deliveryBody(d), d.EventID, d.EventType
				used[d.ID] = true
			}
		}
		it.Sentence = eventSentence(e, provider, evType)
		key := ""
		if it.Body == "" && (e.Decision == "merged" || e.Decision == "stale" || e.Decision == "error") {
			key = fmt.Sprint(e.Source, "|", e.Actor, "|", e.RawStatus, "|", e.Decision, "|", e.Detail)
		}
		items = append(items, item{at: e.RecordedAt, n: 1, key: key, TimelineItem: it})
	}
	for _, d := range deliveries {
		if used[d.ID] {
			continue
		}
		items = append(items, item{at: d.ReceivedAt, n: 1, TimelineItem: views.TimelineItem{Source: "webhook",
			Decision: d.Outcome, Sentence: deliverySentence(d), Actor: d.Provider, Headers: headerLines(d.HeadersRaw),
			Body: deliveryBody(d), EventID: d.EventID}})
	}
	for _, a := range audit {
		if a.Action == "payout.observe" || a.Action == "payout.check_failed" {
			continue
		}
		items = append(items, item{at: a.At, n: 1, TimelineItem: views.TimelineItem{Source: "system", Decision: a.Action,
			Sentence: auditSentence(a), Actor: a.Actor, Raw: maskedJSON(a.Details)}})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
	var out []views.TimelineItem
	var runs []item
	for _, it := range items {
		if n := len(runs); n > 0 && it.key != "" && runs[n-1].key == it.key {
			runs[n-1].n++
			runs[n-1].last = it.at
			continue
		}
		it.last = it.at
		runs = append(runs, it)
	}
	for _, it := range runs {
		it.TimelineItem.At = u.stamp(it.at)
		if it.n > 1 {
			it.Sentence = fmt.Sprintf("%s — checked %d times, unchanged, last at %s", it.Sentence, it.n, u.stamp(it.last))
		}
		out = append(out, it.TimelineItem)
	}
	return out
}

// deliverySentence says what a delivery that changed nothing was.
func deliverySentence(d store.Delivery) string {
	what := d.Provider + " sent " + dash(d.EventType)
	if d.Detail != "" {
		return what + ": " + d.Outcome + " — " + d.Detail
	}
	return what + ": " + d.Outcome
}
