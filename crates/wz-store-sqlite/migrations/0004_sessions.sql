-- Authentication sessions and the webhook outbox (issue #5). No personal
-- data: results are the statements relying parties receive.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY NOT NULL,
    rp_id          TEXT NOT NULL REFERENCES relying_parties (id),
    mode           TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    transaction_id TEXT,
    label          TEXT,
    state          TEXT NOT NULL CHECK (state IN ('created', 'scanned', 'consented', 'completed', 'declined', 'cancelled')),
    secret         BLOB NOT NULL CHECK (length(secret) = 32),
    device_key     BLOB,
    result         TEXT,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
CREATE INDEX sessions_transaction ON sessions (transaction_id, id);

CREATE TABLE webhook_outbox (
    id                 TEXT PRIMARY KEY NOT NULL,
    rp_id              TEXT NOT NULL REFERENCES relying_parties (id),
    url                TEXT NOT NULL,
    body               TEXT NOT NULL,
    attempts           INTEGER NOT NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    delivered_at_ms    INTEGER
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at_ms) WHERE delivered_at_ms IS NULL;
