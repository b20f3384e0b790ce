-- +goose Up
-- The provider's own sub-state of a payout, which the canonical status
-- hides (RazorpayX "pending" for approval and "queued" for low balance are
-- both QUEUED), with its reason; pending_approval says the payout waits for
-- someone's approval inside the provider, which Re-check cannot give
-- (issue 18). Orphan webhook events keep the same, and the amount they
-- state, so that an event applied later is compared as one applied at once.
-- Constant defaults: no table rewrite.
-- +goose StatementBegin
ALTER TABLE payouts
    ADD COLUMN provider_state        TEXT    NOT NULL DEFAULT '',
    ADD COLUMN provider_state_reason TEXT    NOT NULL DEFAULT '',
    ADD COLUMN pending_approval      BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE webhook_events
    ADD COLUMN amount_minor     BIGINT,
    ADD COLUMN amount_currency  TEXT,
    ADD COLUMN state_reason     TEXT    NOT NULL DEFAULT '',
    ADD COLUMN pending_approval BOOLEAN NOT NULL DEFAULT false;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE webhook_events DROP COLUMN amount_minor, DROP COLUMN amount_currency, DROP COLUMN state_reason,
    DROP COLUMN pending_approval;
ALTER TABLE payouts DROP COLUMN provider_state, DROP COLUMN provider_state_reason, DROP COLUMN pending_approval;
-- +goose StatementEnd
