#include "storage/service/accounts/accounts.h"

#include "storage/service/accounts/account_queries.h"
#include "storage/service/domain_error.h"

namespace sluice::service {

Task<Status> ensure_account(PgPool& pg, std::string user, std::string tier) {
  auto r = co_await pg.query(account_sql::kEnsureAccount, user, tier);
  if (!r.ok()) co_return std::move(r).error();
  co_return Status{};
}

Task<Result<AccountQuota>> account_quota(PgPool& pg, UserLeases* leases, std::string user, std::string tier) {
  auto r = co_await pg.query(account_sql::kAccountQuota, user);
  if (r.ok() && r->rows() == 0) {
    auto e = co_await pg.query(account_sql::kEnsureAccount, user, tier);
    if (!e.ok()) co_return std::move(e).error();
    r = co_await pg.query(account_sql::kAccountQuota, user);
  }
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return Error(Errc::internal, "account vanished while being read");
  AccountQuota q;
  q.user = user;
  q.tier = std::string(r->text(0, 0));
  q.quota_bytes = *r->int64(0, 1);
  q.used_bytes = *r->int64(0, 2);
  q.reserved_bytes = *r->int64(0, 3);
  q.file_count = *r->int64(0, 4);
  q.max_files = *r->int64(0, 5);
  q.max_file_bytes = *r->int64(0, 6);
  q.max_concurrent_uploads = *r->int64(0, 7);
  // In-flight uploads: the lease count is what the per-user limit checks; without it, the
  // account's reserved file slots (uploads admitted and not yet settled) say the same.
  q.active_uploads = *r->int64(0, 8);
  if (leases) {
    auto n = co_await leases->count(user);
    if (n.ok()) q.active_uploads = *n;
  }
  co_return q;
}

Task<Status> change_quota(PgPool& pg, std::string user, QuotaChange change) {
  if (change.tier) {
    auto t = co_await pg.query(account_sql::kTierExists, *change.tier);
    if (!t.ok()) co_return std::move(t).error();
    if (t->rows() == 0) co_return domain_error(Reason::unknown_tier, "no tier named '" + *change.tier + "'");
  }
  auto r = co_await pg.query(account_sql::kSetQuota, user, change.tier, change.set_quota, change.quota_bytes);
  if (!r.ok()) co_return std::move(r).error();
  co_return Status{};
}

Task<Result<ServiceTotals>> service_totals(PgPool& pg) {
  auto r = co_await pg.query(account_sql::kTotals);
  if (!r.ok()) co_return std::move(r).error();
  ServiceTotals t;
  t.accounts = *r->int64(0, 0);
  t.files = *r->int64(0, 1);
  t.stored_bytes = *r->int64(0, 2);
  t.uploading_files = *r->int64(0, 3);
  t.failed_files = *r->int64(0, 4);
  t.used_bytes = *r->int64(0, 5);
  t.reserved_bytes = *r->int64(0, 6);
  t.active_api_keys = *r->int64(0, 7);
  co_return t;
}

}  // namespace sluice::service
