// The janitor's SQL about Redis upload leases.
#pragma once

#include "db/pg_statement.h"

namespace sluice::janitor_sql {

// Of the lease ids $1 ("{file id}" or a part's "{file id}#{n}"), those whose upload is over: its
// file row exists and is no longer 'uploading'. A process killed between its commit and the
// lease's release leaves such a lease; ids without a row may be admissions in progress (the
// lease comes before the row) and are left to their TTL.
inline constexpr PgStatement kFinishedLeases{
    "sluice_janitor_finished_leases",
    "SELECT m FROM unnest($1::text[]) AS m "
    "WHERE EXISTS (SELECT 1 FROM sluice.files f "
    "  WHERE f.id = CASE WHEN split_part(m, '#', 1) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
    "                    THEN split_part(m, '#', 1)::uuid END "
    "    AND f.status <> 'uploading')",
    1};

}  // namespace sluice::janitor_sql
