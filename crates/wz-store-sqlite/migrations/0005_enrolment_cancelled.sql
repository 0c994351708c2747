-- A terminal may end an enrolment it cannot complete (card refused, face
-- not matched): the bound wallet then learns at once instead of waiting
-- for the expiry. SQLite cannot alter a CHECK constraint: the table is
-- rebuilt with the new state allowed.
CREATE TABLE enrolments_new (
    id                TEXT PRIMARY KEY NOT NULL,
    terminal_id       TEXT NOT NULL REFERENCES terminals (id),
    secret_digest     BLOB NOT NULL CHECK (length(secret_digest) = 32),
    device_key        BLOB,
    state             TEXT NOT NULL CHECK (state IN ('waiting', 'bound', 'completed', 'cancelled')),
    credential_serial BLOB,
    created_at_ms     INTEGER NOT NULL,
    expires_at_ms     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO enrolments_new SELECT id, terminal_id, secret_digest, device_key, state, credential_serial, created_at_ms, expires_at_ms FROM enrolments;
DROP TABLE enrolments;
ALTER TABLE enrolments_new RENAME TO enrolments;
