-- +goose Up
-- +goose StatementBegin
-- Double-entry journal. A posting is one balanced set of entries for one
-- payout outcome, made exactly once: its key is (payout, kind).
CREATE TABLE ledger_postings (
    id        BIGSERIAL PRIMARY KEY,
    payout_id BIGINT NOT NULL REFERENCES payouts (id),
    kind      TEXT NOT NULL CHECK (kind IN ('succeeded', 'fee', 'reversed')),
    posted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (payout_id, kind)
);

CREATE TABLE ledger_entries (
    id           BIGSERIAL PRIMARY KEY,
    posting_id   BIGINT NOT NULL REFERENCES ledger_postings (id),
    account      TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     CHAR(3) NOT NULL
);
CREATE INDEX ledger_entries_posting ON ledger_entries (posting_id);

-- The journal is append-only, like the audit log.
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE ledger_entries;
DROP TABLE ledger_postings;
-- +goose StatementEnd
