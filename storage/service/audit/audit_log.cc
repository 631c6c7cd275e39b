#include "storage/service/audit/audit_log.h"

#include <charconv>

#include "storage/service/audit/audit_queries.h"
#include "storage/service/auth/base64url.h"
#include "storage/service/domain_error.h"

namespace sluice::service {

const char* AuditEntry::outcome_of(int status) {
  if (status >= 500 || status == 0) return "failed";  // 0: the handler never answered
  if (status >= 400) return "refused";
  return "ok";
}

Task<Status> record_audit(PgPool& pg, const AuditEntry& e) {
  auto r = co_await pg.query(audit_sql::kRecord, e.request_id, e.actor_user, e.actor_key, e.client_address, e.action,
                             e.method, e.route, e.file_id, e.target, e.owner, e.status, e.outcome);
  if (!r.ok()) co_return std::move(r).error();
  co_return Status();
}

namespace {

// The cursor is "a<micros>:<id>" base64url-encoded: opaque to clients, checked on the way in.
std::string encode_cursor(int64_t micros, const std::string& id) {
  return auth::base64url_encode("a" + std::to_string(micros) + ":" + id);
}

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<std::pair<int64_t, int64_t>> decode_cursor(std::string_view text) {
  auto bad = domain_error(Reason::invalid_cursor, "cursor is not one this listing returned");
  auto raw = auth::base64url_decode(text);
  if (!raw || raw->size() < 3 || (*raw)[0] != 'a') return bad;
  auto colon = raw->find(':');
  if (colon == std::string::npos) return bad;
  int64_t micros = 0, id = 0;
  std::string_view body(*raw);
  if (!parse_int(body.substr(1, colon - 1), micros) || !parse_int(body.substr(colon + 1), id)) return bad;
  return std::make_pair(micros, id);
}

}  // namespace

Task<Result<AuditPage>> list_audit(PgPool& pg, AuditQuery q) {
  std::optional<int64_t> after_micros, after_id;
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor);
    if (!c.ok()) co_return c.error();
    after_micros = c->first;
    after_id = c->second;
  }
  int fetch = q.limit + 1;  // one more: whether another page exists
  auto r = co_await pg.query(audit_sql::kList, q.actor, q.trail_of, q.file_id, q.action, q.from_micros, q.to_micros,
                             after_micros, after_id, fetch);
  if (!r.ok()) co_return std::move(r).error();
  AuditPage page;
  int rows = r->rows();
  for (int i = 0; i < rows && i < q.limit; ++i) {
    AuditRow row;
    row.id = std::string(r->text(i, 0));
    row.at = std::string(r->text(i, 1));
    int64_t micros = 0;
    parse_int(r->text(i, 2), micros);
    row.at_micros = micros;
    AuditEntry& e = row.entry;
    e.request_id = std::string(r->text(i, 3));
    e.actor_user = r->opt_text(i, 4).value_or("");
    e.actor_key = r->opt_text(i, 5).value_or("");
    e.client_address = std::string(r->text(i, 6));
    e.action = std::string(r->text(i, 7));
    e.method = std::string(r->text(i, 8));
    e.route = std::string(r->text(i, 9));
    e.file_id = r->opt_text(i, 10).value_or("");
    e.target = r->opt_text(i, 11).value_or("");
    e.owner = r->opt_text(i, 12).value_or("");
    int64_t status = 0;
    parse_int(r->text(i, 13), status);
    e.status = static_cast<int>(status);
    e.outcome = std::string(r->text(i, 14));
    page.items.push_back(std::move(row));
  }
  if (rows > q.limit && !page.items.empty())
    page.next_cursor = encode_cursor(page.items.back().at_micros, page.items.back().id);
  co_return page;
}

Task<Result<int64_t>> maintain_audit_partitions(PgPool& pg, int months_ahead, int64_t retention_seconds) {
  auto made = co_await pg.query(audit_sql::kEnsurePartitions, months_ahead);
  if (!made.ok()) co_return std::move(made).error();
  auto dropped = co_await pg.query(audit_sql::kDropPartitions, retention_seconds);
  if (!dropped.ok()) co_return std::move(dropped).error();
  int64_t n = 0;
  parse_int(dropped->text(0, 0), n);
  co_return n;
}

}  // namespace sluice::service
