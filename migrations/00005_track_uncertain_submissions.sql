-- +goose Up
-- +goose StatementBegin
-- Whether the last failed submission left payops unsure the provider has the
-- payout (a timeout, a 5xx): such a payout may only be released (resending
-- under the same reference cannot pay twice), never rejected.
ALTER TABLE payouts ADD COLUMN submit_outcome_unknown BOOLEAN NOT NULL DEFAULT false;
-- Payouts recorded before payops sent payouts itself were sent by the
-- platform: the submission worker must not send them again.
UPDATE payouts SET submitted_at = created_at WHERE submitted_at IS NULL AND intake IS NULL AND submit_attempts = 0;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE payouts DROP COLUMN submit_outcome_unknown;
-- +goose StatementEnd
