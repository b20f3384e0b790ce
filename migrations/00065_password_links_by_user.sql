-- +goose Up
-- Who made a set-password link, when a dashboard user did (NULL: the command
-- line, or a link from before this migration): a deciding role's wait
-- (payout.GrantWait) starts again when such a link is used, since whoever
-- holds the link signs in as the user.
ALTER TABLE password_links ADD COLUMN by_user_id BIGINT REFERENCES users (id);

-- +goose Down
ALTER TABLE password_links DROP COLUMN by_user_id;
