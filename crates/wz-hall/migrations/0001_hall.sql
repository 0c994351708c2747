-- The service hall's own database (never the platform's); portable DDL, the same file on SQLite and PostgreSQL.
CREATE TABLE hall_applications (
    id TEXT PRIMARY KEY NOT NULL,
    service TEXT NOT NULL,
    applicant_id_number TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    particulars TEXT NOT NULL,
    evidence TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    registry_reference TEXT,
    submitted_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT,
    version BIGINT NOT NULL
);
CREATE INDEX hall_applications_by_applicant ON hall_applications (applicant_id_number, submitted_at);
CREATE INDEX hall_applications_by_state ON hall_applications (state, submitted_at);

CREATE TABLE hall_certificates (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES hall_applications (id),
    department TEXT NOT NULL,
    encoded TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
);
CREATE INDEX hall_certificates_by_application ON hall_certificates (application_id);

CREATE TABLE hall_officers (
    id_number TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    active BIGINT NOT NULL
);

CREATE TABLE hall_audit (
    seq BIGINT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    application_id TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
