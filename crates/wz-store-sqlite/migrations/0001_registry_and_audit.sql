-- Registry rows hold no plaintext personal data: the record is SM4-GCM
-- sealed and keyed by HMAC-SM3 of the ID number.
CREATE TABLE identities (
    lookup        BLOB PRIMARY KEY NOT NULL CHECK (length(lookup) = 32),
    card_serial   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('valid', 'reported_lost', 'expired', 'cancelled')),
    sealed        BLOB NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE identity_status_history (
    id     INTEGER PRIMARY KEY,
    lookup BLOB NOT NULL REFERENCES identities (lookup),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason TEXT NOT NULL,
    at_ms  INTEGER NOT NULL
);
CREATE INDEX identity_status_history_lookup ON identity_status_history (lookup, id);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),
    at_ms     INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    details   TEXT NOT NULL,
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
);

-- Append-only: the application can neither rewrite nor delete history.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
