-- +goose Up
-- Every failure after sending reaches an owner: a case whose kind has no
-- owner (a fresh install has none) goes to a stand-in, the payout support
-- owner its payout's market's launch document names, else the first active
-- admin (store.routeCase). owner_stands_in marks such an owner, so that the
-- kind's owner, once an admin sets one, takes the case over as it takes
-- unowned ones; a person's reassign or an escalation ends the stand-in.
ALTER TABLE exception_cases ADD COLUMN owner_stands_in BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE exception_cases DROP COLUMN owner_stands_in;
