-- +goose Up
-- Who owns a payout's "failed after sending" case by its failure class
-- (seed 004: classify the failure, route it to the right owner): funding to
-- finance, credentials to an admin, the beneficiary's details to support.
-- A class without a row here, or whose owner is disabled, goes to the kind's
-- owner (exception_kinds), as before. The kind keeps the SLA and the
-- escalation owner.
CREATE TABLE failure_class_owners (
	class      TEXT PRIMARY KEY,
	owner_id   BIGINT NOT NULL REFERENCES users (id),
	updated_by TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE failure_class_owners;
