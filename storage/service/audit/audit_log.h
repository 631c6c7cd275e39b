// The audit log: who did what to which file, when, with what outcome (sluice.audit_log). The api
// layer records one entry per state-changing request and per access to content by someone other
// than its owner; admins read everything, a user their own trail.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace sluice::service {

struct AuditEntry {
  std::string request_id;
  std::string actor_user;  // '' when nobody authenticated
  std::string actor_key;   // the API key id, '' for a JWT
  std::string client_address;
  std::string action;  // "file.delete", "share.content"... (storage/api/audit_trail.cc)
  std::string method;
  std::string route;  // the route pattern, never the raw path (a share token is a secret)
  std::string file_id;
  std::string target;  // a share, key, upload, user or tier the route named
  std::string owner;   // of the file or share touched, when known
  int status = 0;
  std::string outcome;  // ok (< 400), refused (4xx), failed (5xx)

  // ok / refused / failed for an HTTP status.
  static const char* outcome_of(int status);
};

Task<Status> record_audit(PgPool& pg, const AuditEntry& e);

struct AuditRow {
  AuditEntry entry;
  std::string id;
  std::string at;  // RFC 3339 UTC
  int64_t at_micros = 0;
};

struct AuditQuery {
  std::string actor;      // rows this user did
  std::string trail_of;   // rows this user did or that touched what they own
  std::string file_id;
  std::string action;
  std::optional<int64_t> from_micros, to_micros;  // [from, to)
  std::string cursor;     // from a previous page's next_cursor
  int limit = 100;
};

struct AuditPage {
  std::vector<AuditRow> items;
  std::optional<std::string> next_cursor;
};

// Reason::invalid_cursor for a cursor this did not make.
Task<Result<AuditPage>> list_audit(PgPool& pg, AuditQuery q);

// The janitor's upkeep: partitions made ahead for `months_ahead` months, those older than
// `retention_seconds` dropped. Returns how many were dropped.
Task<Result<int64_t>> maintain_audit_partitions(PgPool& pg, int months_ahead, int64_t retention_seconds);

}  // namespace sluice::service
