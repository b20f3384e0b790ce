package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// findIndex is an index the finding pages use, and the measurements (keys
// of findKinds, "list", "updated") it is for.
type findIndex struct {
	name   string
	serves []string
}

// findIndexes are migration 00019's indexes and 00022's, for the same
// pages.
var findIndexes = []findIndex{
	{"payouts_by_provider_payout_id", []string{"ppid"}},
	{"payouts_by_utr", []string{"utr"}},
	{"webhook_events_by_event_id", []string{"event"}},
	{"webhook_deliveries_by_razorpay_event", []string{"rzp"}},
	{"beneficiaries_by_name", []string{"name"}},
	{"beneficiaries_by_last4", []string{"last4"}},
	{"payouts_by_beneficiary", []string{"name", "last4"}},
	{"payouts_by_amount", []string{"amount"}},
	{"payouts_updated", []string{"updated"}},
	{"payouts_by_status_provider_created", []string{"list"}}, // 00022
}

// without is a measurement made with an index dropped.
type without struct {
	index, key string
	w          window
}

// withoutEach drops each of findIndexes in turn on db, measures what it is
// for as the pages were measured with it, and creates it again as it was
// (ANALYZE after, for an index on an expression has statistics of its
// own).
func withoutEach(ctx context.Context, db *sqlx.DB, client *http.Client, targets map[string]pageTarget,
	warm, dur time.Duration) ([]without, error) {
	var out []without
	for _, ix := range findIndexes {
		var def, table string
		err := db.QueryRowxContext(ctx, `SELECT pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text
			FROM pg_index i WHERE i.indexrelid = $1::regclass`, ix.name).Scan(&def, &table)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.name, err)
		}
		if _, err := db.ExecContext(ctx, `DROP INDEX `+ix.name); err != nil {
			return nil, err
		}
		for _, key := range ix.serves {
			say("benchmark 6: without %s: %s", ix.name, key)
			t := targets[key]
			t.overDeadline = true
			w, err := getTarget(ctx, client, t, pageConc, warm, dur)
			if err != nil {
				return nil, fmt.Errorf("without %s: %s: %w", ix.name, key, err)
			}
			out = append(out, without{ix.name, key, w})
		}
		began := time.Now()
		// A partitioned table's index is defined ON ONLY the parent: made
		// again so, no month would have it, and every later measurement
		// (the other indexes' pages also look up webhook deliveries) would
		// read every month in full.
		if _, err := db.ExecContext(ctx, strings.Replace(def, " ON ONLY ", " ON ", 1)); err != nil {
			return nil, fmt.Errorf("index %s again: %w", ix.name, err)
		}
		if _, err := db.ExecContext(ctx, `ANALYZE `+table); err != nil {
			return nil, err
		}
		say("benchmark 6: %s made again in %s", ix.name, time.Since(began).Round(100*time.Millisecond))
	}
	return out, nil
}
