-- +goose Up
-- The beneficiary gate holds a payout for two things: details missing, and
-- (beneficiary/v3) an operator's retry that sends the money to another
-- account or bank. The second was labelled "Beneficiary details
-- incomplete" on the holds queue and the payout page, though its details
-- were complete: compliance read it as the first. The label names both.
UPDATE hold_reasons SET label = 'Beneficiary incomplete or changed' WHERE reason = 'beneficiary';

-- +goose Down
UPDATE hold_reasons SET label = 'Beneficiary details incomplete' WHERE reason = 'beneficiary';
