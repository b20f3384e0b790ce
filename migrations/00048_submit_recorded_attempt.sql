-- +goose Up
-- The last submission attempt whose outcome was recorded (an answer, or a
-- failure). A claim that finds a later attempt counted — its worker stopped
-- mid-call, or could not record what the provider said — marks the payout's
-- outcome unknown before its gates run again: the provider may have it, so
-- a hold placed then can be released but not rejected. Payouts that may be
-- claimed again start with every attempt recorded; sent ones are never
-- claimed again.
ALTER TABLE payouts ADD COLUMN submit_recorded_attempt INT NOT NULL DEFAULT 0;
UPDATE payouts SET submit_recorded_attempt = submit_attempts
WHERE status IN ('QUEUED', 'HELD') AND submitted_at IS NULL AND submit_attempts > 0;

-- +goose Down
ALTER TABLE payouts DROP COLUMN submit_recorded_attempt;
