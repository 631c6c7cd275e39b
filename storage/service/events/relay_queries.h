// The statements of the event relay on sluice.events (the outbox; rows are written by
// outbox_queries.h in the transaction of the change they announce). Run on the relay's own
// blocking connection (db/pg_blocking_connection.h), so they are plain SQL texts.
#pragma once

namespace sluice::relay_sql {

// One cluster-wide relay: a session advisory lock ("evrelay" in ASCII). It lives with the
// relay's connection, so a dead instance releases it and another instance's relay takes over.
inline constexpr const char* kTryLock = "SELECT pg_try_advisory_lock(28559206347727225::bigint)";
inline constexpr const char* kUnlock = "SELECT pg_advisory_unlock(28559206347727225::bigint)";

// The queue, in id order, from after $1 ($2 rows). Only committed rows are visible, and a
// bigserial id is taken when the row is inserted, not when its transaction commits: a
// transaction holding id 7 can commit after one holding id 8. So the relay never keeps a
// high-water mark: it reads what is still unpublished (published_at IS NULL) and marks rows by
// id. `$1` is only a scan cursor inside one drain; once a read comes back short (caught up) or
// anything failed, the next read starts again from 0, so a late commit is picked up on the next
// turn. Per file, ids follow commit order (a file's changes are serialized by its row lock, and
// the event is inserted after the lock is taken), so per-file order holds.
// The time is RFC 3339 UTC with microseconds.
inline constexpr const char* kFetch =
    "SELECT id, kind, aggregate_id, payload::text, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), attempts "
    "FROM sluice.events WHERE published_at IS NULL AND dead_at IS NULL AND id > $1::bigint "
    "ORDER BY id LIMIT $2::int";

// The acknowledged rows ($1 bigint[]): JetStream has stored them.
inline constexpr const char* kMarkPublished =
    "UPDATE sluice.events SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL";

// Rows NATS refused ($1 bigint[]): one more attempt; at $2 attempts the row is dead-lettered.
// Returns how many died now.
inline constexpr const char* kRecordRefusals =
    "WITH r AS (UPDATE sluice.events SET attempts = attempts + 1, "
    "dead_at = CASE WHEN attempts + 1 >= $2::int THEN now() END "
    "WHERE id = ANY($1::bigint[]) AND published_at IS NULL AND dead_at IS NULL RETURNING dead_at) "
    "SELECT count(*) FILTER (WHERE dead_at IS NOT NULL) FROM r";

// Published rows older than the retention ($1 seconds), $2 at a time.
inline constexpr const char* kPrunePublished =
    "DELETE FROM sluice.events WHERE id IN (SELECT id FROM sluice.events "
    "WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1::double precision) "
    "LIMIT $2::int)";

// Dead letters older than $1 seconds, $2 at a time (kept that long for an operator to look at).
inline constexpr const char* kPruneDead =
    "DELETE FROM sluice.events WHERE id IN (SELECT id FROM sluice.events "
    "WHERE dead_at IS NOT NULL AND dead_at < now() - make_interval(secs => $1::double precision) "
    "LIMIT $2::int)";

// Without NATS nothing publishes: the oldest unpublished rows older than $1 seconds go, $2 at a
// time. Only the head of the queue is looked at (ids grow with time), so this stays cheap
// however long the outbox is.
inline constexpr const char* kPruneUnpublished =
    "WITH head AS (SELECT id, created_at FROM sluice.events WHERE published_at IS NULL "
    "ORDER BY id LIMIT $2::int) "
    "DELETE FROM sluice.events e USING head WHERE e.id = head.id "
    "AND head.created_at < now() - make_interval(secs => $1::double precision)";

// Queue depth, age in seconds of the oldest queued row, dead letters: for /metrics.
inline constexpr const char* kQueueStats =
    "SELECT (SELECT count(*) FROM sluice.events WHERE published_at IS NULL AND dead_at IS NULL), "
    "COALESCE((SELECT extract(epoch FROM now() - created_at)::bigint FROM sluice.events "
    "WHERE published_at IS NULL AND dead_at IS NULL ORDER BY id LIMIT 1), 0), "
    "(SELECT count(*) FROM sluice.events WHERE dead_at IS NOT NULL)";

}  // namespace sluice::relay_sql
