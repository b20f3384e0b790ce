-- +goose Up
-- +goose StatementBegin
-- One row per month of a history table archived by the retention job: the
-- month was written to file (gzip-compressed JSON lines, one row each), then
-- detached and dropped in the transaction that wrote this row. sha256 is the
-- file's, of its compressed bytes; rows the number of lines.
-- restored_table is the side table `payops archive restore` last loaded the
-- file into, for an investigation.
CREATE TABLE history_archives (
    id             BIGSERIAL PRIMARY KEY,
    table_name     TEXT NOT NULL,
    month          DATE NOT NULL CHECK (extract(day FROM month) = 1),
    file           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    rows           BIGINT NOT NULL CHECK (rows >= 0),
    bytes          BIGINT NOT NULL CHECK (bytes >= 0),
    archived_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    restored_table TEXT,
    restored_at    TIMESTAMPTZ,
    UNIQUE (table_name, month)
);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE history_archives;
-- +goose StatementEnd
