-- +goose Up
-- +goose StatementBegin
-- Launch documents (payout.LaunchDoc), one per market and program, every
-- version kept: who changed it, when and why. A market is paid only when the
-- latest version of its default program's document is live; otherwise its
-- payouts are held for market_read_only.
CREATE TABLE market_documents (
    id                 BIGSERIAL PRIMARY KEY,
    market             CHAR(2) NOT NULL,
    program            TEXT NOT NULL DEFAULT 'default',
    version            INT NOT NULL CHECK (version >= 1),
    document           JSONB NOT NULL,
    -- Whether this version makes the market live: a complete document
    -- asking to be live, or one the upgrade made live so nothing stopped.
    live               BOOLEAN NOT NULL,
    changed_by         TEXT NOT NULL,
    changed_by_user_id BIGINT REFERENCES users (id),
    reason             TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (market, program, version)
);
CREATE TRIGGER market_documents_append_only BEFORE UPDATE OR DELETE ON market_documents
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Going live, and changing a live document, is proposed by one admin and
-- approved by another (payout.ProposalFourEyes), each with a reason.
CREATE TABLE market_proposals (
    id                  BIGSERIAL PRIMARY KEY,
    market              CHAR(2) NOT NULL,
    program             TEXT NOT NULL DEFAULT 'default',
    base_version        INT,            -- the version it changes; NULL for a market without a document
    document            JSONB NOT NULL,
    proposed_by         TEXT NOT NULL,
    proposed_by_user_id BIGINT REFERENCES users (id),
    reason              TEXT NOT NULL,
    proposed_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    state               TEXT NOT NULL DEFAULT 'open'
                        CHECK (state IN ('open', 'approved', 'withdrawn', 'superseded')),
    approved_by         TEXT,
    approved_by_user_id BIGINT REFERENCES users (id),
    approved_reason     TEXT,
    decided_at          TIMESTAMPTZ,
    version             INT             -- the version the approval made
);
CREATE UNIQUE INDEX market_proposals_one_open ON market_proposals (market, program) WHERE state = 'open';

-- Upgrading stops nothing: every market that has payouts gets a live
-- document owned by the first admin (or by nobody yet when there is no
-- admin), noted in its history as created by the upgrade. It is live though
-- incomplete: its owners and settlement path are for the admins to write.
INSERT INTO market_documents (market, program, version, document, live, changed_by, reason)
SELECT m.market, 'default', 1,
    jsonb_build_object('market', m.market, 'program', 'default', 'live', true,
        'owners', CASE WHEN a.email IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
            'payout_support', a.email, 'user_recovery', a.email, 'blocked_payouts', a.email,
            'incident_response', a.email) END,
        'tax_artifacts_required', true,
        'settlement', '{}'::jsonb),
    true, 'upgrade',
    'created by the upgrade: the market had payouts before launch documents, so it stays live; '
        || CASE WHEN a.email IS NULL THEN 'no admin existed to own it' ELSE 'owned by the admin ' || a.email END
FROM (SELECT DISTINCT market FROM payouts) m
LEFT JOIN LATERAL (SELECT email FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id LIMIT 1) a ON true;

-- A read-only market's holds go to its blocked-payout owner; with none, to
-- the reason's default owner, which is the first admin unless one is set.
UPDATE hold_reasons SET owner_id = coalesce(owner_id, (SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id LIMIT 1)),
    updated_by = 'migration 00030', updated_at = now()
WHERE reason = 'market_read_only';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE market_proposals;
DROP TABLE market_documents;
-- +goose StatementEnd
