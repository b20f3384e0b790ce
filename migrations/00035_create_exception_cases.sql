-- +goose Up
-- Exceptions: what goes wrong after sending gets a case with evidence, an
-- owner, an escalation owner and an SLA per kind (payout.CaseKind), as
-- hold reasons have (issue 18).
-- +goose StatementBegin
CREATE TABLE exception_kinds (
    kind          TEXT PRIMARY KEY,
    label         TEXT NOT NULL,
    owner_id      BIGINT REFERENCES users (id),
    next_owner_id BIGINT REFERENCES users (id),
    sla_minutes   INT NOT NULL CHECK (sla_minutes > 0),
    position      INT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO exception_kinds (kind, label, sla_minutes, position) VALUES
    ('failed_after_send', 'Failed after sending',                 240, 1),
    ('anomaly',           'Provider state mismatch',               60, 2),
    ('amount_mismatch',   'Amount differs from the provider''s',   60, 3),
    ('pending_approval',  'Waiting for approval at the provider', 240, 4),
    ('stuck_long',        'Unsettled past 24 hours',              240, 5),
    ('orphan_webhook',    'Webhook for an unknown payout',        240, 6),
    ('recon_difference',  'Reconciliation difference open 3 days', 1440, 7);

-- One open case per kind and subject ("payout:12", "webhook_event:9",
-- "recon_diff:4"): the scanner opens it once, however often it looks.
CREATE TABLE exception_cases (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL REFERENCES exception_kinds (kind),
    subject       TEXT NOT NULL,
    payout_id     BIGINT REFERENCES payouts (id),
    failure_class TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL,
    evidence      JSONB NOT NULL DEFAULT '{}',
    livemode      BOOLEAN NOT NULL DEFAULT true,
    owner_id      BIGINT REFERENCES users (id),
    opened_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    sla_due_at    TIMESTAMPTZ NOT NULL,
    escalated_at  TIMESTAMPTZ,
    state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'closed')),
    closed_at     TIMESTAMPTZ,
    closed_by     TEXT,
    close_note    TEXT,
    retry_payout_id BIGINT REFERENCES payouts (id)
);
CREATE UNIQUE INDEX exception_cases_one_open ON exception_cases (kind, subject) WHERE state = 'open';
CREATE INDEX exception_cases_open ON exception_cases (sla_due_at, id) WHERE state = 'open';
CREATE INDEX exception_cases_payout ON exception_cases (payout_id) WHERE payout_id IS NOT NULL;

-- A new instruction made from a failed payout points back to it; the
-- failed payout's page finds its retries by this index.
ALTER TABLE payouts ADD COLUMN retry_of BIGINT REFERENCES payouts (id);
CREATE INDEX payouts_retry_of ON payouts (retry_of) WHERE retry_of IS NOT NULL;

-- The anomalies the scanner looks for are a sliver of the events.
CREATE INDEX payout_events_anomalies ON payout_events (recorded_at, id) WHERE decision = 'anomaly';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP INDEX payout_events_anomalies;
ALTER TABLE payouts DROP COLUMN retry_of;
DROP TABLE exception_cases;
DROP TABLE exception_kinds;
-- +goose StatementEnd
