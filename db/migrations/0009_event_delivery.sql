-- Delivery state of the transactional outbox (sluice.events), for the relay that publishes it
-- to NATS JetStream (storage/service/events/event_relay.h).
--
-- attempts: publishes NATS refused for this message (a poison row: too big for max_payload,
--           a subject the server rejects...). Transient failures (NATS down, ack timeouts) do
--           not count.
-- dead_at:  set once attempts reaches the relay's limit: the row leaves the relay's queue (it
--           stays in events_unpublished_idx, which the relay reads with `dead_at IS NULL`; dead
--           rows are few and pruned after the unpublished retention), counted in /metrics.
ALTER TABLE sluice.events
  ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS dead_at timestamptz NULL;

-- Pruning published rows after the retention (DELETE ... WHERE published_at < now() - r).
-- Partial: a new row (published_at NULL) does not touch it, so the upload commit pays nothing.
CREATE INDEX IF NOT EXISTS events_published_idx ON sluice.events (published_at) WHERE published_at IS NOT NULL;

-- Dead letters, for /metrics and their own pruning.
CREATE INDEX IF NOT EXISTS events_dead_idx ON sluice.events (dead_at) WHERE dead_at IS NOT NULL;
