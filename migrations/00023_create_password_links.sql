-- +goose Up
-- Set-password links: an admin adds a user (or asks for a new link) and
-- passes the link on; the user opens it and chooses a password. The link's
-- random token is never stored, only its SHA-256, so a copy of the table
-- sets no one's password. A link works once, until it expires (72 hours),
-- and a newer link for the same user replaces it.
CREATE TABLE password_links (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    token_hash  BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    used_at     TIMESTAMPTZ,
    replaced_at TIMESTAMPTZ,
    CHECK (used_at IS NULL OR replaced_at IS NULL)
);
-- A user's links that may still be used: replaced when a new one is made.
CREATE INDEX password_links_user_open ON password_links (user_id) WHERE used_at IS NULL AND replaced_at IS NULL;

-- A user added with a link has no password until they set one: the empty
-- hash, which no password matches. Setting a password ends the user's
-- sessions, so a reset locks out whoever knew the old one.
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check,
    ADD CONSTRAINT sessions_end_reason_check CHECK (end_reason IN ('logout', 'idle', 'expired', 'user_disabled',
        'role_changed', 'signed_in_again', 'password_set'));

-- +goose Down
UPDATE sessions SET end_reason = 'logout' WHERE end_reason = 'password_set';
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check,
    ADD CONSTRAINT sessions_end_reason_check CHECK (end_reason IN ('logout', 'idle', 'expired', 'user_disabled',
        'role_changed', 'signed_in_again'));
DROP TABLE password_links;
