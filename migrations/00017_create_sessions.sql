-- +goose Up
-- Dashboard sessions live on the server. The browser's cookie carries only a
-- random id; the table keeps that id's SHA-256, never the id, so a copy of
-- the table signs no one in. A session ends at sign-out, when its user is
-- disabled or changes role, after PAYOPS_SESSION_IDLE without a request, or
-- 8 hours after sign-in; ended ones are pruned after 14 days.
CREATE TABLE sessions (
    id             BIGSERIAL PRIMARY KEY,
    id_hash        BYTEA NOT NULL UNIQUE CHECK (octet_length(id_hash) = 32),
    user_id        BIGINT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ,
    end_reason     TEXT CHECK (end_reason IN ('logout', 'idle', 'expired', 'user_disabled', 'role_changed', 'signed_in_again')),
    client_address TEXT NOT NULL,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
-- A user's live sessions, all ended at once when the user changes.
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE sessions;
