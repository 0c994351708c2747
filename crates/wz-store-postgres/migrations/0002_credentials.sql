-- Network ID credentials (issue #4). No personal data: holders appear by
-- registry lookup key and credential number only.
CREATE TABLE credentials (
    serial         BYTEA PRIMARY KEY CHECK (length(serial) = 16),
    number         BYTEA NOT NULL CHECK (length(number) = 32),
    lookup         BYTEA NOT NULL REFERENCES identities (lookup),
    level          TEXT NOT NULL CHECK (level IN ('L3', 'L4')),
    device_key     BYTEA NOT NULL,
    issued_at_ms   BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    password_epoch BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revoked_reason TEXT,
    revoked_at_ms  BIGINT,
    signed         BYTEA NOT NULL
);
CREATE INDEX credentials_lookup ON credentials (lookup, issued_at_ms);
-- One device, one active credential per person, whatever races.
CREATE UNIQUE INDEX credentials_one_active ON credentials (lookup) WHERE status = 'active';

CREATE TABLE card_passwords (
    lookup          BYTEA PRIMARY KEY REFERENCES identities (lookup),
    salt            BYTEA NOT NULL CHECK (length(salt) = 16),
    digest          BYTEA NOT NULL CHECK (length(digest) = 32),
    epoch           BIGINT NOT NULL,
    failures        BIGINT NOT NULL,
    locked_until_ms BIGINT
);

CREATE TABLE used_nonces (
    kind          TEXT NOT NULL,
    nonce         BYTEA NOT NULL CHECK (length(nonce) = 16),
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (kind, nonce)
);
CREATE INDEX used_nonces_expiry ON used_nonces (expires_at_ms);

CREATE TABLE terminals (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    public_key    BYTEA NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE enrolments (
    id                TEXT PRIMARY KEY,
    terminal_id       TEXT NOT NULL REFERENCES terminals (id),
    secret_digest     BYTEA NOT NULL CHECK (length(secret_digest) = 32),
    device_key        BYTEA,
    state             TEXT NOT NULL CHECK (state IN ('waiting', 'bound', 'completed')),
    credential_serial BYTEA,
    created_at_ms     BIGINT NOT NULL,
    expires_at_ms     BIGINT NOT NULL
);
