-- OpenID Connect provider (issue #15). A relying party's OIDC settings
-- (redirect URIs, client keys, ID token algorithm; JSON) ride on its
-- registration; a sign-in is one authorization row, its tokens kept as
-- digests. No personal data: claims are read from the session's result.
ALTER TABLE relying_parties ADD COLUMN oidc TEXT;

CREATE TABLE oidc_authorizations (
    id            TEXT PRIMARY KEY NOT NULL,
    rp_id         TEXT NOT NULL REFERENCES relying_parties (id),
    request       TEXT NOT NULL,
    request_uri   TEXT UNIQUE,
    session_id    TEXT REFERENCES sessions (id),
    browser       BLOB CHECK (length(browser) = 32),
    code_digest   BLOB UNIQUE CHECK (length(code_digest) = 32),
    state         TEXT NOT NULL CHECK (state IN ('pushed', 'started', 'code_issued', 'redeemed', 'ended')),
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

CREATE TABLE oidc_tokens (
    digest           BLOB PRIMARY KEY NOT NULL CHECK (length(digest) = 32),
    authorization_id TEXT NOT NULL REFERENCES oidc_authorizations (id),
    rp_id            TEXT NOT NULL REFERENCES relying_parties (id),
    jkt              TEXT,
    expires_at_ms    INTEGER NOT NULL,
    revoked          INTEGER NOT NULL
);
CREATE INDEX oidc_tokens_authorization ON oidc_tokens (authorization_id);
