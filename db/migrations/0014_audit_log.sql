-- 0014: the audit log (issue 22). One row per state-changing request and per access to content by
-- someone other than its owner (public file, share, signed URL): who (user, API key, client
-- address), what (action, route, file, owner), when, the outcome (HTTP status) and the request id.
-- Partitioned by month so that retention is a DROP of whole partitions (the janitor's job, with
-- SLUICE_AUDIT_RETENTION); rows themselves are append-only (the trigger below).
CREATE TABLE IF NOT EXISTS sluice.audit_log (
  id bigserial NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  request_id text NOT NULL DEFAULT '',
  actor_user text NULL,        -- NULL: nobody authenticated (public and share links, refused credentials)
  actor_key text NULL,         -- the API key id when the caller used one
  client_address text NOT NULL DEFAULT '',
  action text NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  file_id text NULL,
  target text NULL,            -- what else the route named: a share, key, upload session, user or tier
  owner text NULL,             -- the owner of the file or share touched, when known
  status integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  PRIMARY KEY (at, id)
) PARTITION BY RANGE (at);

CREATE INDEX IF NOT EXISTS audit_log_actor ON sluice.audit_log (actor_user, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_owner ON sluice.audit_log (owner, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_file ON sluice.audit_log (file_id, at DESC, id DESC);

-- Append-only: the owner role cannot be denied UPDATE/DELETE by REVOKE, so a trigger refuses them
-- (on every partition, present and future). Dropping a whole partition is the one removal.
CREATE OR REPLACE FUNCTION sluice.audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sluice.audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS audit_log_append_only ON sluice.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON sluice.audit_log
  FOR EACH ROW EXECUTE FUNCTION sluice.audit_log_refuse_change();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON sluice.audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON sluice.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION sluice.audit_log_refuse_change();

-- The partitions of this month and the `ahead` next ones (sluice.audit_log_pYYYYMM), if missing.
CREATE OR REPLACE FUNCTION sluice.audit_ensure_partitions(ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  m date;
  made integer := 0;
  name text;
BEGIN
  FOR i IN 0..ahead LOOP
    m := (first + make_interval(months => i))::date;
    name := 'audit_log_p' || to_char(m, 'YYYYMM');
    IF to_regclass('sluice.' || name) IS NULL THEN
      EXECUTE format('CREATE TABLE sluice.%I PARTITION OF sluice.audit_log FOR VALUES FROM (%L) TO (%L)', name,
                     (m::timestamp AT TIME ZONE 'UTC'),
                     ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
      EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON sluice.%I '
                     'FOR EACH STATEMENT EXECUTE FUNCTION sluice.audit_log_refuse_change()', name);
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END $$;

-- Drops the partitions whose whole month ended before `cutoff`; returns how many.
CREATE OR REPLACE FUNCTION sluice.audit_drop_partitions(cutoff timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'sluice.audit_log'::regclass AND c.relname ~ '^audit_log_p[0-9]{6}$'
  LOOP
    IF (to_date(substr(part.relname, 12), 'YYYYMM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
      EXECUTE format('DROP TABLE sluice.%I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END $$;

SELECT sluice.audit_ensure_partitions(2);
