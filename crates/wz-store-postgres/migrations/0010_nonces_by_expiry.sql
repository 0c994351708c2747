-- Speed (issue #19, decision 40): single-use nonces whose expiry is signed
-- with them (a wallet QR code's `issued_at`), keyed by expiry first, so
-- spending one writes beside the newest rows instead of on a random page
-- of `used_nonces`. A replay carries the same signed expiry and meets the
-- same key. Codes already spent move here.
CREATE TABLE used_nonces_by_expiry (
    expires_at_ms BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    nonce         BYTEA NOT NULL CHECK (length(nonce) = 16),
    PRIMARY KEY (expires_at_ms, kind, nonce)
);
INSERT INTO used_nonces_by_expiry (expires_at_ms, kind, nonce)
    SELECT expires_at_ms, kind, nonce FROM used_nonces WHERE kind = 'qr';
DELETE FROM used_nonces WHERE kind = 'qr';
