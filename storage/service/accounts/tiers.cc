#include "storage/service/accounts/tiers.h"

#include "db/pg_array.h"
#include "storage/service/accounts/tier_queries.h"
#include "storage/service/domain_error.h"
#include "storage/service/ratelimit/limit_queries.h"

namespace sluice::service {

namespace {
Tier tier_from(const PgResult& r, int row) {
  Tier t;
  t.name = std::string(r.text(row, 0));
  t.quota_bytes = *r.int64(row, 1);
  t.max_file_bytes = *r.int64(row, 2);
  t.max_files = *r.int64(row, 3);
  t.max_concurrent_uploads = *r.int64(row, 4);
  if (r.text(row, 5) != "t") {
    std::vector<std::string> types;
    if (auto a = pg_decode_text_array(r.text(row, 6)); a.ok())
      for (auto& v : *a)
        if (v) types.push_back(std::move(*v));
    t.allowed_mime_types = std::move(types);
  }
  t.requests_per_minute = *r.int64(row, 7);
  t.burst = *r.int64(row, 8);
  return t;
}
}  // namespace

Task<Result<std::vector<Tier>>> list_tiers(PgPool& pg) {
  auto r = co_await pg.query(tier_sql::kListTiers);
  if (!r.ok()) co_return std::move(r).error();
  std::vector<Tier> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(tier_from(*r, i));
  co_return out;
}

Task<Result<Tier>> tier_named(PgPool& pg, std::string name) {
  auto r = co_await pg.query(tier_sql::kTierNamed, name);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no tier named '" + name + "'");
  co_return tier_from(*r, 0);
}

Task<Result<Tier>> put_tier(PgPool& pg, Tier t) {
  bool any_type = !t.allowed_mime_types.has_value();
  std::vector<std::string> types = t.allowed_mime_types.value_or(std::vector<std::string>());
  auto r = co_await pg.query(tier_sql::kPutTier, t.name, t.quota_bytes, t.max_file_bytes, t.max_files,
                             t.max_concurrent_uploads, any_type, types, t.requests_per_minute, t.burst);
  if (!r.ok()) co_return std::move(r).error();
  co_return tier_from(*r, 0);
}

Task<Status> set_user_rate(PgPool& pg, std::string user, std::optional<int64_t> per_minute,
                           std::optional<int64_t> burst) {
  auto r = co_await pg.query(rate_sql::kSetUserRate, user, per_minute, burst);
  if (!r.ok()) co_return std::move(r).error();
  co_return Status{};
}

Task<Status> set_key_rate(PgPool& pg, std::string key_id, std::optional<int64_t> per_minute,
                          std::optional<int64_t> burst) {
  auto r = co_await pg.query(rate_sql::kSetKeyRate, key_id, per_minute, burst);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, "no API key with id " + key_id);
  co_return Status{};
}

}  // namespace sluice::service
