// The SQL of tus uploads (sluice.tus_uploads). The session underneath (reservation, lease,
// parts, commit) is session_sql's; these statements add the offset, the deferred length and the
// tail segments, each in one round trip and only from the state they expect.
#pragma once

#include "db/pg_statement.h"

namespace sluice::tus_sql {

// $1 upload id, $2 whether the length is known, $3 Upload-Metadata as sent.
inline constexpr PgStatement kCreate{
    "sluice_tus_create",
    "INSERT INTO sluice.tus_uploads (upload_id, length_known, metadata) VALUES ($1::uuid, $2, $3)", 3};

// $1 upload id. offset, length known, metadata, segments ("1,2,3"), Upload-Expires (HTTP date).
inline constexpr PgStatement kGet{
    "sluice_tus_get",
    "SELECT t.upload_offset, t.length_known, t.metadata, array_to_string(t.segments, ','),"
    "       to_char(u.expires_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"') "
    "FROM sluice.tus_uploads t JOIN sluice.uploads u ON u.id = t.upload_id WHERE t.upload_id = $1::uuid",
    1};

// $1 upload id, $2 the offset the PATCH started from, $3 the new offset, $4 bigint[] the tail
// segments now, $5 int[] / $6 bigint[] / $7 text[] parts written (number, size, etag), $8 expiry
// milliseconds. Moves the offset only from $2 and only while the session is active (the parts
// are recorded with it); pushes the expiry forward. Returns: whether it moved, Upload-Expires.
inline constexpr PgStatement kAdvance{
    "sluice_tus_advance",
    "WITH u AS ("
    "  UPDATE sluice.uploads SET heartbeat_at = now(), updated_at = now(),"
    "         expires_at = now() + $8::bigint * interval '1 millisecond'"
    "  WHERE id = $1::uuid AND state = 'active' RETURNING id, expires_at"
    "), t AS ("
    "  UPDATE sluice.tus_uploads SET upload_offset = $3, segments = $4::bigint[]"
    "  WHERE upload_id = (SELECT id FROM u) AND upload_offset = $2 RETURNING upload_id"
    "), p AS ("
    "  INSERT INTO sluice.upload_parts (upload_id, part_number, size, etag)"
    "  SELECT t.upload_id, x.n, x.s, x.e FROM t, unnest($5::int[], $6::bigint[], $7::text[]) AS x(n, s, e)"
    "  ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, etag = EXCLUDED.etag,"
    "     created_at = now() RETURNING 1"
    ")"
    "SELECT EXISTS (SELECT 1 FROM t), (SELECT count(*) FROM p),"
    "       COALESCE(to_char((SELECT expires_at FROM u) AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"'), '')",
    8};

// $1 upload id, $2 the length, $3 total parts, $4 the reservation it now needs. The deferred
// length becomes known (once): the session gets its size and layout, and the reservation taken
// at creation (the tier's largest file) shrinks to the length. Returns the sessions changed.
inline constexpr PgStatement kDeclareLength{
    "sluice_tus_declare_length",
    "WITH old AS ("
    "  SELECT u.id, u.owner, u.reserved_bytes FROM sluice.uploads u JOIN sluice.tus_uploads t ON t.upload_id = u.id"
    "  WHERE u.id = $1::uuid AND u.state = 'active' AND NOT t.length_known AND t.upload_offset <= $2"
    "  FOR UPDATE OF u, t"
    "), t AS ("
    "  UPDATE sluice.tus_uploads t SET length_known = true FROM old WHERE t.upload_id = old.id RETURNING 1"
    "), u AS ("
    "  UPDATE sluice.uploads x SET declared_size = $2, total_parts = $3, reserved_bytes = $4, updated_at = now()"
    "  FROM old WHERE x.id = old.id RETURNING x.id"
    "), a AS ("
    "  UPDATE sluice.accounts a SET reserved_bytes = a.reserved_bytes - old.reserved_bytes + $4, updated_at = now()"
    "  FROM old WHERE a.user_id = old.owner RETURNING 1"
    ")"
    "SELECT count(*) FROM u",
    4};

}  // namespace sluice::tus_sql
