-- Scale-out (issue #16): rate limits that hold for the whole cluster. One
-- row per limited key (e.g. `rp:<id>`): the current fixed window and the
-- units instances have leased from it. No personal data: keys are RP ids
-- and registry lookup keys (keyed digests); old windows are swept.
CREATE TABLE quota_windows (
    scope        TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    granted      BIGINT NOT NULL
);
