-- Registry rows hold no plaintext personal data: the record is SM4-GCM
-- sealed and keyed by HMAC-SM3 of the ID number.
CREATE TABLE identities (
    lookup        BYTEA PRIMARY KEY CHECK (length(lookup) = 32),
    card_serial   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('valid', 'reported_lost', 'expired', 'cancelled')),
    sealed        BYTEA NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE identity_status_history (
    id          BIGSERIAL PRIMARY KEY,
    lookup      BYTEA NOT NULL REFERENCES identities (lookup),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
);
CREATE INDEX identity_status_history_lookup ON identity_status_history (lookup, id);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY CHECK (seq > 0),
    at_ms     BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    details   TEXT NOT NULL,
    prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash      BYTEA NOT NULL CHECK (length(hash) = 32)
);

-- Append-only: the application can neither rewrite nor delete history.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
