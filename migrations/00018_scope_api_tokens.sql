-- +goose Up
-- A token's scope says what it may do: live tokens send payouts through the
-- real providers, test tokens through the test providers only (the sandbox,
-- a drill's provider), drills tokens start and follow failure drills. Tokens
-- made before scopes were the platform's: live.
ALTER TABLE api_tokens
    ADD COLUMN scope TEXT NOT NULL DEFAULT 'live' CHECK (scope IN ('live', 'test', 'drills')),
    -- Requests a second the token may make; NULL for PAYOPS_API_RATE.
    ADD COLUMN rate_per_second INTEGER CHECK (rate_per_second > 0),
    -- Addresses (CIDR) the token is accepted from; empty for anywhere.
    ADD COLUMN allow_from CIDR[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN scope, DROP COLUMN rate_per_second, DROP COLUMN allow_from;
