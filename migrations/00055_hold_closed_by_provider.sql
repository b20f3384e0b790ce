-- +goose Up
-- A hold the provider's answer closed (a HELD payout the provider had after
-- all: store.closeHoldsAnswered) was recorded 'released', the state of a
-- compliance decision: counted with the releases, shown green as one, when
-- nobody decided anything. It has a state of its own now, 'closed'. The
-- holds closed so before are found by what they recorded: no user decided
-- them, and their note is the one closeHoldsAnswered writes (the audit
-- log's hold.closed_by_provider may be archived by now).
ALTER TABLE holds DROP CONSTRAINT holds_state_check;
ALTER TABLE holds ADD CONSTRAINT holds_state_check CHECK (state IN ('open', 'released', 'rejected', 'closed'));
UPDATE holds SET state = 'closed'
WHERE state = 'released' AND decided_by_user_id IS NULL
	AND decision_note LIKE '% answered about the payout (%): it has it, so the hold could no longer stop it';

-- +goose Down
UPDATE holds SET state = 'released' WHERE state = 'closed';
ALTER TABLE holds DROP CONSTRAINT holds_state_check;
ALTER TABLE holds ADD CONSTRAINT holds_state_check CHECK (state IN ('open', 'released', 'rejected'));
