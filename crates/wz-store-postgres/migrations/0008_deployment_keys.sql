-- Scale-out (issue #16): which keys this database was written with. One
-- check value per key (a key id for public keys, a keyed digest for secret
-- ones: nothing that reveals a key), recorded by the first instance that
-- starts; an instance with other keys refuses to start.
CREATE TABLE deployment_keys (
    name           TEXT PRIMARY KEY,
    check_value    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
