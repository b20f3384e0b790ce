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

-- Sign-in attempts, one row per throttle key (the email and address, and
-- the address), shared by every instance. An attempt is inserted before its
-- password is checked and counted after; a refused one deletes its rows, a
-- wrong password keeps them, a success deletes them and its email and
-- address's earlier ones. Rows older than the window are pruned.
CREATE TABLE login_attempts (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, attempted_at);
CREATE INDEX login_attempts_at ON login_attempts (attempted_at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE sessions;
