-- +goose Up
-- A launch document's approval rule (payout.ApprovalRule) may ask for two
-- compliance approvals, by different people, in order, before a review
-- hold is released: the first approval is kept here and the hold stays
-- open; the second (the final one) releases it. The second approver sees
-- the first's note on the payout's page. Append-only, like the evidence.
-- +goose StatementBegin
CREATE TABLE hold_approvals (
    id          BIGSERIAL PRIMARY KEY,
    hold_id     BIGINT NOT NULL REFERENCES holds (id),
    seq         SMALLINT NOT NULL CHECK (seq BETWEEN 1 AND 2),
    needed      SMALLINT NOT NULL CHECK (needed BETWEEN 1 AND 2),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    approved_by TEXT NOT NULL,
    note        TEXT NOT NULL,
    approved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (hold_id, seq),
    UNIQUE (hold_id, user_id)
);
CREATE TRIGGER hold_approvals_append_only BEFORE UPDATE OR DELETE ON hold_approvals
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- +goose StatementEnd

-- +goose Down
DROP TABLE hold_approvals;
