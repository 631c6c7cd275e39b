#include "storage/service/auth/api_key_store.h"

#include "core/log.h"
#include "storage/service/auth/api_key.h"
#include "storage/service/keys/key_queries.h"

namespace sluice {

namespace {

Error invalid_key() { return Error(Errc::unauthenticated, "invalid api key"); }

}  // namespace

ApiKeyStore::ApiKeyStore(PgPool& pg, TaskGroup& background, ApiKeyStoreOptions opts)
    : pg_(pg), background_(background), opts_(opts) {}

Task<Result<Principal>> ApiKeyStore::lookup(std::string prefix, std::string secret, int64_t now_unix) {
  auto it = cache_.find(prefix);
  if (it != cache_.end() && it->second.expires > opts_.clock()) {
    ++stats_.hits;
    co_return check(it->second, secret, now_unix);
  }
  ++stats_.misses;
  uint64_t forgets_before = forgets_;
  auto r = co_await pg_.query(key_sql::kFindKey, prefix);
  if (!r.ok()) {
    ++stats_.lookup_errors;
    log_event(LogLevel::warn, "api_key_lookup_failed", {{"error", r.error().message}});
    // Whatever the database said, the key is not known to be bad: 503, never 401.
    Error e(Errc::unavailable, "API keys cannot be checked right now: " + r.error().message);
    e.public_message = "API keys cannot be checked right now; retry later";
    co_return e;
  }
  Entry e;
  Deadline now = opts_.clock();
  if (r->rows() == 1) {
    e.known = true;
    e.id = std::string(r->text(0, 0));
    e.owner = std::string(r->text(0, 1));
    e.secret_hash = std::string(r->text(0, 2));
    if (auto names = r->text_array(0, 3); names.ok())
      for (const auto& n : *names)
        if (n)
          if (auto s = parse_scope(*n)) e.scopes |= static_cast<ApiScopes>(*s);  // unknown names grant nothing
    if (!r->is_null(0, 4)) e.key_expires_unix = *r->int64(0, 4);
    e.expires = now + opts_.ttl;
  } else {
    e.expires = now + opts_.negative_ttl;
  }
  // A revocation seen while the query ran may postdate what it read: use it once, keep nothing.
  if (forgets_ != forgets_before) co_return check(e, secret, now_unix);
  insert(prefix, std::move(e));
  co_return check(cache_[prefix], secret, now_unix);
}

Result<Principal> ApiKeyStore::check(Entry& e, const std::string& secret, int64_t now_unix) {
  if (!e.known || !auth::api_key_matches(secret, e.secret_hash)) {
    ++stats_.rejected;
    return invalid_key();
  }
  // Checked on every use, so a cached key stops working the second it expires.
  if (e.key_expires_unix && now_unix >= *e.key_expires_unix) {
    ++stats_.rejected;
    return Error(Errc::unauthenticated, "api key expired");
  }
  Deadline now = opts_.clock();
  if (now >= e.next_touch) {
    e.next_touch = now + opts_.touch_interval;
    spawn(touch(&pg_, e.id), &background_);
  }
  Principal p;
  p.user_id = e.owner;
  p.role = auth::Role::user;  // keys never carry more than a user's rights
  p.via_api_key = true;
  p.api_key_id = e.id;
  p.scopes = e.scopes;
  return p;
}

void ApiKeyStore::insert(const std::string& prefix, Entry e) {
  if (cache_.size() >= opts_.max_entries && !cache_.count(prefix)) {
    Deadline now = opts_.clock();
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
    // Still full of live entries: shed an eighth at once so the sweep above stays rare.
    size_t keep = opts_.max_entries - opts_.max_entries / 8;
    size_t target = keep > 0 ? keep - 1 : 0;
    while (cache_.size() > target && !cache_.empty()) {
      cache_.erase(cache_.begin());
      ++stats_.evictions;
    }
  }
  cache_[prefix] = std::move(e);
}

void ApiKeyStore::forget(const std::string& prefix) {
  cache_.erase(prefix);
  ++forgets_;
}

Task<void> ApiKeyStore::touch(PgPool* pg, std::string id) {
  auto r = co_await pg->query(key_sql::kTouchKey, id);
  if (!r.ok()) log_event(LogLevel::debug, "api_key_touch_failed", {{"error", r.error().message}});
}

}  // namespace sluice
