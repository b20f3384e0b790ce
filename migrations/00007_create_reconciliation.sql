-- +goose Up
-- +goose StatementBegin
-- One reconciliation of one provider's business day. Re-running a day makes
-- a new version; earlier versions stay as they were.
CREATE TABLE recon_runs (
    id            BIGSERIAL PRIMARY KEY,
    provider      TEXT NOT NULL,
    business_date DATE NOT NULL,
    version       INT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('list', 'upload')),
    day_start     TIMESTAMPTZ NOT NULL,
    day_end       TIMESTAMPTZ NOT NULL,
    run_by        TEXT NOT NULL,
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ties          BOOLEAN NOT NULL DEFAULT false,
    signed_off_by TEXT,
    signed_off_at TIMESTAMPTZ,
    UNIQUE (provider, business_date, version)
);

-- The provider's side as it was when the run was made.
CREATE TABLE recon_records (
    id                 BIGSERIAL PRIMARY KEY,
    run_id             BIGINT NOT NULL REFERENCES recon_runs (id),
    provider_payout_id TEXT NOT NULL DEFAULT '',
    reference_id       TEXT NOT NULL DEFAULT '',
    amount_minor       BIGINT NOT NULL,
    currency           CHAR(3) NOT NULL,
    status             TEXT NOT NULL,
    fee_minor          BIGINT,
    settled_at         TIMESTAMPTZ
);
CREATE INDEX recon_records_run ON recon_records (run_id);

CREATE TABLE recon_diffs (
    id                  BIGSERIAL PRIMARY KEY,
    run_id              BIGINT NOT NULL REFERENCES recon_runs (id),
    kind                TEXT NOT NULL CHECK (kind IN ('missing_at_provider', 'missing_in_payops', 'amount_mismatch',
                            'currency_mismatch', 'status_mismatch', 'fee_mismatch')),
    payout_id           BIGINT REFERENCES payouts (id),
    record_id           BIGINT REFERENCES recon_records (id),
    reference_id        TEXT NOT NULL DEFAULT '',
    provider_payout_id  TEXT NOT NULL DEFAULT '',
    ours_amount_minor   BIGINT,
    theirs_amount_minor BIGINT,
    ours_currency       TEXT,
    theirs_currency     TEXT,
    ours_status         TEXT,
    theirs_status       TEXT,
    ours_fee_minor      BIGINT,
    theirs_fee_minor    BIGINT,
    resolution          TEXT NOT NULL DEFAULT 'open' CHECK (resolution IN ('open', 'resolved', 'accepted')),
    note                TEXT NOT NULL DEFAULT '',
    resolved_by         TEXT,
    resolved_at         TIMESTAMPTZ
);
CREATE INDEX recon_diffs_run ON recon_diffs (run_id, kind, id);

-- Per currency: count, sum and fees on each side.
CREATE TABLE recon_totals (
    run_id       BIGINT NOT NULL REFERENCES recon_runs (id),
    currency     CHAR(3) NOT NULL,
    ours_count   BIGINT NOT NULL,
    ours_sum     BIGINT NOT NULL,
    ours_fees    BIGINT NOT NULL,
    theirs_count BIGINT NOT NULL,
    theirs_sum   BIGINT NOT NULL,
    theirs_fees  BIGINT NOT NULL,
    PRIMARY KEY (run_id, currency)
);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE recon_totals;
DROP TABLE recon_diffs;
DROP TABLE recon_records;
DROP TABLE recon_runs;
-- +goose StatementEnd
