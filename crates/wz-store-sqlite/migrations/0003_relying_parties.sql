-- Relying parties (issue #5). Public registrations; the client secret is
-- kept only as its SM3 digest.
CREATE TABLE relying_parties (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL CHECK (category IN ('government', 'hotel', 'bank', 'internet')),
    modes         TEXT NOT NULL,
    grants        TEXT NOT NULL,
    webhook_url   TEXT,
    secret_digest BLOB NOT NULL CHECK (length(secret_digest) = 32),
    public_key    BLOB,
    alg           TEXT NOT NULL CHECK (alg IN ('SM2', 'ES256')),
    active        INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- A holder's usage history reads the audit log by subject.
CREATE INDEX audit_log_subject ON audit_log (subject, action, seq);
