-- +goose Up
-- +goose StatementBegin
-- When a payout first reached a settled outcome (SUCCEEDED, FAILED,
-- CANCELLED; a REVERSED payout keeps the time it succeeded): for finance's
-- exports. Set by the database, so every path that changes a status sets it.
ALTER TABLE payouts ADD COLUMN settled_at TIMESTAMPTZ;

CREATE FUNCTION payouts_settled_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.settled_at IS NULL AND NEW.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'REVERSED') THEN
        NEW.settled_at := NEW.updated_at;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER payouts_settled_at BEFORE INSERT OR UPDATE OF status ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_settled_at();

-- Payouts settled before: the first applied event that settled them, else
-- their last change.
UPDATE payouts p SET settled_at = coalesce(
    (SELECT min(e.recorded_at) FROM payout_events e WHERE e.payout_id = p.id AND e.decision = 'applied'
        AND e.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'REVERSED')),
    p.updated_at)
WHERE p.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'REVERSED');
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER payouts_settled_at ON payouts;
DROP FUNCTION payouts_settled_at();
ALTER TABLE payouts DROP COLUMN settled_at;
-- +goose StatementEnd
