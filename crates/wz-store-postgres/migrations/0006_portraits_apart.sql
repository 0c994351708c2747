-- Portraits sealed apart from the attributes (issue #14): a use that
-- compares no face reads and decrypts no JPEG. Rows written before are
-- sealed whole (seal_version 1) until the server reseals them at start.
ALTER TABLE identities ADD COLUMN sealed_portrait BYTEA;
ALTER TABLE identities ADD COLUMN seal_version BIGINT NOT NULL DEFAULT 1;
CREATE INDEX identities_whole_sealed ON identities (lookup) WHERE seal_version = 1;
