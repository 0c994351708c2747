-- Network ID credentials (issue #4). No personal data: holders appear by
-- registry lookup key and credential number only.
CREATE TABLE credentials (
    serial         BLOB PRIMARY KEY NOT NULL CHECK (length(serial) = 16),
    number         BLOB NOT NULL CHECK (length(number) = 32),
    lookup         BLOB NOT NULL REFERENCES identities (lookup),
    level          TEXT NOT NULL CHECK (level IN ('L3', 'L4')),
    device_key     BLOB NOT NULL,
    issued_at_ms   INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    password_epoch INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revoked_reason TEXT,
    revoked_at_ms  INTEGER,
    signed         BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX credentials_lookup ON credentials (lookup, issued_at_ms);
-- One device, one active credential per person, whatever races.
CREATE UNIQUE INDEX credentials_one_active ON credentials (lookup) WHERE status = 'active';

CREATE TABLE card_passwords (
    lookup          BLOB PRIMARY KEY NOT NULL REFERENCES identities (lookup),
    salt            BLOB NOT NULL CHECK (length(salt) = 16),
    digest          BLOB NOT NULL CHECK (length(digest) = 32),
    epoch           INTEGER NOT NULL,
    failures        INTEGER NOT NULL,
    locked_until_ms INTEGER
) WITHOUT ROWID;

CREATE TABLE used_nonces (
    kind          TEXT NOT NULL,
    nonce         BLOB NOT NULL CHECK (length(nonce) = 16),
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, nonce)
) WITHOUT ROWID;
CREATE INDEX used_nonces_expiry ON used_nonces (expires_at_ms);

CREATE TABLE terminals (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    public_key    BLOB NOT NULL,
    active        INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE enrolments (
    id                TEXT PRIMARY KEY NOT NULL,
    terminal_id       TEXT NOT NULL REFERENCES terminals (id),
    secret_digest     BLOB NOT NULL CHECK (length(secret_digest) = 32),
    device_key        BLOB,
    state             TEXT NOT NULL CHECK (state IN ('waiting', 'bound', 'completed')),
    credential_serial BLOB,
    created_at_ms     INTEGER NOT NULL,
    expires_at_ms     INTEGER NOT NULL
) WITHOUT ROWID;
