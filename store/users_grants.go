package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// grant records that by gave user u role's deciding power (added them,
// changed their role, enabled them or made them a set-password link), inside
// q: from the dashboard, the user decides only from payout.GrantWait later
// (payout.DecidesFrom); from the command line, at once. It returns when the
// user may first decide (nil: at once).
func grant(ctx context.Context, q Querier, userID int64, role payout.Role, by Actor) (*time.Time, error) {
	var at time.Time
	if err := q.GetContext(ctx, &at, `SELECT now()`); err != nil {
		return nil, fmt.Errorf("store: grant to user %d: %w", userID, err)
	}
	from := payout.DecidesFrom(payout.Grant{Role: role, FromDashboard: by.UserID != 0, At: at})
	if _, err := q.ExecContext(ctx, `UPDATE users SET decides_from = $2 WHERE id = $1`, userID, from); err != nil {
		return nil, fmt.Errorf("store: grant to user %d: %w", userID, err)
	}
	return from, nil
}

// decidesYet refuses (ErrFourEyes) a decision by a user whose deciding role
// was given from the dashboard less than payout.GrantWait ago.
func decidesYet(ctx context.Context, q Querier, by Actor) error {
	if by.UserID == 0 {
		return nil // the command line, or a job: not a person's decision
	}
	var u struct {
		From *time.Time `db:"decides_from"`
		Now  time.Time  `db:"now"`
	}
	if err := q.GetContext(ctx, &u, `SELECT decides_from, now() AS now FROM users WHERE id = $1`, by.UserID); err != nil {
		return fmt.Errorf("store: user %d: %w", by.UserID, mapErr(err))
	}
	if payout.Waiting(u.From, u.Now) {
		return &refusal{kind: ErrFourEyes, msg: payout.WaitingWhy(u.From.UTC().Format("2006-01-02 15:04") + " UTC")}
	}
	return nil
}

// withDecidesFrom adds to an audit entry's details when the user changed
// may first decide, when that is not at once.
func withDecidesFrom(details map[string]any, from *time.Time) map[string]any {
	if from != nil {
		details["decides_from"] = from.UTC()
	}
	return details
}

// WaitingDeciders returns the users who can sign in and wait to take their
// first four-eyes decision (payout.GrantWait), by id.
func (s *Store) WaitingDeciders(ctx context.Context) ([]User, error) {
	var out []User
	err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM users
		WHERE decides_from > now() AND disabled_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: users waiting to decide: %w", err)
	}
	return out, nil
}
