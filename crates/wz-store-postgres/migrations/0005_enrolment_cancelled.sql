-- A terminal may end an enrolment it cannot complete (card refused, face
-- not matched): the bound wallet then learns at once instead of waiting
-- for the expiry.
ALTER TABLE enrolments DROP CONSTRAINT enrolments_state_check;
ALTER TABLE enrolments ADD CONSTRAINT enrolments_state_check CHECK (state IN ('waiting', 'bound', 'completed', 'cancelled'));
