// The SQL of the audit log (sluice.audit_log, migration 0014).
#pragma once

#include "db/pg_statement.h"
#include "storage/service/sql_time.h"

namespace sluice::audit_sql {

// One row; '' for an absent text value becomes NULL.
inline constexpr PgStatement kRecord{
    "sluice_audit_record",
    "INSERT INTO sluice.audit_log (request_id, actor_user, actor_key, client_address, action, method, route, "
    "file_id, target, owner, status, outcome) "
    "VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, $7, NULLIF($8, ''), NULLIF($9, ''), NULLIF($10, ''), "
    "$11, $12)",
    12};

// A page, newest first. Filters ('' or NULL: any): $1 actor, $2 trail of a user (as actor or as
// owner), $3 file id, $4 action, $5/$6 from (inclusive) / to (exclusive) in microseconds since
// the epoch, $7/$8 the cursor (the previous page's last at in microseconds, and id), $9 limit.
inline constexpr PgStatement kList{
    "sluice_audit_list",
    "SELECT id, " SLUICE_SQL_ISO_TIME("at") ", (extract(epoch FROM at) * 1000000)::bigint, request_id, "
    "actor_user, actor_key, client_address, action, method, route, file_id, target, owner, status, outcome "
    "FROM sluice.audit_log "
    "WHERE ($1 = '' OR actor_user = $1) "
    "  AND ($2 = '' OR actor_user = $2 OR owner = $2) "
    "  AND ($3 = '' OR file_id = $3) "
    "  AND ($4 = '' OR action = $4) "
    "  AND ($5::bigint IS NULL OR at >= 'epoch'::timestamptz + $5::bigint * interval '1 microsecond') "
    "  AND ($6::bigint IS NULL OR at < 'epoch'::timestamptz + $6::bigint * interval '1 microsecond') "
    "  AND ($7::bigint IS NULL OR (at, id) < ('epoch'::timestamptz + $7::bigint * interval '1 microsecond', $8::bigint)) "
    "ORDER BY at DESC, id DESC LIMIT $9",
    9};

// The janitor's upkeep: partitions for this month and the next $1, then the drop of those whose
// month ended more than $2 seconds ago.
inline constexpr PgStatement kEnsurePartitions{"sluice_audit_ensure_partitions",
                                               "SELECT sluice.audit_ensure_partitions($1::int)", 1};
inline constexpr PgStatement kDropPartitions{
    "sluice_audit_drop_partitions",
    "SELECT sluice.audit_drop_partitions(now() - $1::bigint * interval '1 second')", 1};

}  // namespace sluice::audit_sql
