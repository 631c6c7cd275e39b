-- 0011: request rate limits as data (DESIGN §4 "Rate limits"). A tier's requests_per_minute and
-- burst drive the GCRA limit of each of its users; an admin may override both per account, and
-- an API key may have its own (lower) limit, checked within its owner's. NULL overrides: the
-- tier's (for a key: its owner's) values.
ALTER TABLE sluice.tiers ADD COLUMN IF NOT EXISTS requests_per_minute integer NOT NULL DEFAULT 600
  CHECK (requests_per_minute > 0);
ALTER TABLE sluice.tiers ADD COLUMN IF NOT EXISTS burst integer NOT NULL DEFAULT 100 CHECK (burst > 0);
UPDATE sluice.tiers SET requests_per_minute = 6000, burst = 1000 WHERE name = 'pro' AND requests_per_minute = 600;
UPDATE sluice.tiers SET requests_per_minute = 6000000, burst = 100000
 WHERE name = 'unlimited' AND requests_per_minute = 600;

ALTER TABLE sluice.accounts ADD COLUMN IF NOT EXISTS requests_per_minute_override integer NULL
  CHECK (requests_per_minute_override > 0);
ALTER TABLE sluice.accounts ADD COLUMN IF NOT EXISTS burst_override integer NULL CHECK (burst_override > 0);

ALTER TABLE sluice.api_keys ADD COLUMN IF NOT EXISTS requests_per_minute integer NULL
  CHECK (requests_per_minute > 0);
ALTER TABLE sluice.api_keys ADD COLUMN IF NOT EXISTS burst integer NULL CHECK (burst > 0);
