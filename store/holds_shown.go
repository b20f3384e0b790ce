package store

import (
	"context"
	"fmt"
)

// Shown is what a page showed of a hold when its user decided on it: its
// newest evidence (0 for none) and how many approvals had been given.
type Shown struct {
	Evidence  int64 // AnyEvidence: not compared
	Approvals int   // -1: not compared
}

// AnyEvidence says a release or rejection was not compared with the
// evidence its page showed (a form without it, a test): it is decided
// whatever evidence the hold has.
const AnyEvidence int64 = -1

// AnyShown compares nothing: a decision not made on a page (a test, a
// form without what its page showed).
var AnyShown = Shown{Evidence: AnyEvidence, Approvals: -1}

// decidedOnWhatWasShown refuses a release or rejection of hold holdID,
// locked in q, by by, made on a page older than the hold's evidence or its
// approvals: someone added a note since ("sanctions hit, do not release"),
// or gave an approval with one ("only once KYC is refreshed"), that the
// decider never saw. Nothing is decided; the page, opened again, shows it.
func decidedOnWhatWasShown(ctx context.Context, q Querier, holdID int64, by Actor, shown Shown) error {
	if shown.Evidence != AnyEvidence {
		var newer []struct {
			Evidence
			UserID *int64 `db:"added_by_user_id"`
		}
		if err := q.SelectContext(ctx, &newer, `SELECT id, hold_id, kind, body, url, added_by, added_at, added_by_user_id
			FROM hold_evidence WHERE hold_id = $1 AND id > $2 ORDER BY id DESC LIMIT 1`, holdID, shown.Evidence); err != nil {
			return fmt.Errorf("store: evidence of hold %d: %w", holdID, err)
		}
		if len(newer) > 0 {
			e, who := newer[0], newer[0].AddedBy+" added"
			if e.UserID != nil && *e.UserID == by.UserID {
				who = "You added"
			}
			return Refused("%s evidence to this hold after this page was opened (%q): nothing was decided. "+
				"Read it on the page, then decide", who, clip(e.Body, 120))
		}
	}
	if shown.Approvals >= 0 {
		var newer []HoldApproval
		if err := q.SelectContext(ctx, &newer, `SELECT hold_id, seq, needed, user_id, approved_by, note, approved_at
			FROM hold_approvals WHERE hold_id = $1 AND seq > $2 ORDER BY seq DESC LIMIT 1`, holdID, shown.Approvals); err != nil {
			return fmt.Errorf("store: approvals of hold %d: %w", holdID, err)
		}
		if len(newer) > 0 {
			a := newer[0]
			return Refused("%s gave approval %d of %d on this hold after this page was opened (%q): nothing was "+
				"decided. Read it on the page, then decide", a.ApprovedBy, a.Seq, a.Needed, clip(a.Note, 120))
		}
	}
	return nil
}
