-- pgbench script: the quota lease of wz_store::sql::quotas (LEASE), one
-- relying party's row, 256 units asked per lease from a 20,000/s quota,
-- the window being the current second. docs/cluster.md "Rate limits for
-- the cluster" quotes its cost:
--   psql "$DB" -c 'CREATE SCHEMA IF NOT EXISTS wz_bench_lease' \
--     -c 'CREATE TABLE IF NOT EXISTS wz_bench_lease.quota_windows (scope TEXT PRIMARY KEY, window_start BIGINT NOT NULL, used BIGINT NOT NULL, granted BIGINT NOT NULL)'
--   PGOPTIONS='-c search_path=wz_bench_lease' pgbench -n -c 1 -T 5 -f scripts/bench/quota-lease.sql "$DB"
--   PGOPTIONS='-c search_path=wz_bench_lease' pgbench -n -c 4 -j 2 -T 5 -f scripts/bench/quota-lease.sql "$DB"
INSERT INTO quota_windows (scope, window_start, used, granted)
VALUES ('rp:bench', (extract(epoch FROM clock_timestamp()))::bigint * 1000, 256, 256)
ON CONFLICT (scope) DO UPDATE SET
  window_start = CASE WHEN quota_windows.window_start < excluded.window_start
      THEN excluded.window_start ELSE quota_windows.window_start END,
  used = CASE WHEN quota_windows.window_start < excluded.window_start THEN excluded.used
      WHEN quota_windows.used + excluded.used > 20000 THEN 20000
      ELSE quota_windows.used + excluded.used END,
  granted = CASE WHEN quota_windows.window_start < excluded.window_start THEN excluded.used
      WHEN quota_windows.used >= 20000 THEN 0
      WHEN quota_windows.used + excluded.used > 20000 THEN 20000 - quota_windows.used
      ELSE excluded.used END
RETURNING granted;
