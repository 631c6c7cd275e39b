#include "storage/service/admission/user_leases.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <functional>

#include "core/cross_core.h"
#include "core/log.h"

namespace sluice {

namespace {
// KEYS[1] lease set; ARGV: now_ms, ttl_ms, limit, lease id, and for a part PUT its session's
// lease id ('' otherwise). Returns {code, count}: 1 granted, 0 over the limit, 2 that part is
// already in progress. The count is effective_count() below, in Lua.
constexpr const char* kAcquireLua = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local id, session = ARGV[4], ARGV[5]
if redis.call('ZSCORE', KEYS[1], id) then
  if session ~= '' then return {2, 0} end
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
  return {1, 0}
end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local present, with_parts = {}, {}
for _, m in ipairs(members) do present[m] = true end
local n = #members
for _, m in ipairs(members) do
  local s = string.match(m, '^(.-)#')
  if s and not with_parts[s] then
    with_parts[s] = true
    if present[s] then n = n - 1 end
  end
end
local adds = 1
if session ~= '' and present[session] and not with_parts[session] then adds = 0 end
if n + adds > tonumber(ARGV[3]) then return {0, n} end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, n + adds}
)lua";

// The uploads a user's lease ids stand for: every lease counts one, except that a session's own
// lease ("{file id}") covers the first of its part leases ("{file id}#{n}") in flight, so a
// session with k parts moving counts k, and one with none counts 1. `adds` is what `id` would add.
int64_t effective_count(const std::vector<std::string>& ids, const std::string& id, const std::string& session,
                        int64_t* adds) {
  auto has = [&ids](std::string_view x) { return std::find(ids.begin(), ids.end(), x) != ids.end(); };
  std::vector<std::string_view> with_parts;
  int64_t n = static_cast<int64_t>(ids.size());
  for (const std::string& m : ids) {
    size_t hash = m.find('#');
    if (hash == std::string::npos) continue;
    std::string_view s = std::string_view(m).substr(0, hash);
    if (std::find(with_parts.begin(), with_parts.end(), s) != with_parts.end()) continue;
    with_parts.push_back(s);
    if (has(s)) --n;
  }
  bool session_covers = !session.empty() && has(session) &&
                        std::find(with_parts.begin(), with_parts.end(), std::string_view(session)) == with_parts.end();
  *adds = session_covers || has(id) ? 0 : 1;
  return n;
}

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

UserLeases::UserLeases(Reactor& r, RedisClient* redis, LeaseOptions opts)
    : r_(r), redis_(redis), opts_(opts), acquire_script_(kAcquireLua) {}

unsigned UserLeases::home_core(const std::string& user) const {
  return peers_.empty() ? r_.core() : static_cast<unsigned>(std::hash<std::string>{}(user) % peers_.size());
}

Task<Status> UserLeases::acquire(std::string user, std::string upload_id, int limit) {
  co_return co_await acquire_as(std::move(user), std::move(upload_id), std::string(), limit);
}

Task<Status> UserLeases::acquire_part(std::string user, std::string session_id, uint32_t part, int limit) {
  std::string id = part_lease_id(session_id, part);  // before session_id is moved from
  co_return co_await acquire_as(std::move(user), std::move(id), std::move(session_id), limit);
}

Task<Status> UserLeases::acquire_as(std::string user, std::string upload_id, std::string session, int limit) {
  if (redis_) {
    int64_t ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.ttl).count();
    // (Argument vectors built outside the co_await: GCC 12 miscompiles braced lists there.)
    std::vector<std::string> keys{key_for(user)};
    std::vector<std::string> args{std::to_string(now_ms()), std::to_string(ttl_ms), std::to_string(limit), upload_id,
                                  session};
    auto reply = co_await redis_->eval(acquire_script_, std::move(keys), std::move(args),
                                       deadline_after(std::chrono::seconds(2)));
    if (reply.ok() && reply->elements.size() == 2) {
      if (reply->elements[0].integer == 1) {
        ++stats_.granted;
        co_return Status();
      }
      if (reply->elements[0].integer == 2) {
        ++stats_.refused;
        co_return Error(Errc::conflict, "part " + upload_id.substr(upload_id.find('#') + 1) +
                                            " of this upload is already being sent by another request");
      }
      ++stats_.refused;
      co_return Error(Errc::limit_exceeded, "user already has " + std::to_string(reply->elements[1].integer) +
                                                " uploads in progress (limit " + std::to_string(limit) + ")");
    }
    ++stats_.redis_failures;
    std::string why = reply.ok() ? "unexpected reply to the lease script" : reply.error().message;
    if (!opts_.fail_open) co_return Error(Errc::unavailable, "upload limits cannot be checked: Redis: " + why);
    log_event(LogLevel::warn, "lease_redis_failed_fallback_local", {{"error", why}});
    ++stats_.local_fallbacks;
  }
  auto s = co_await acquire_local(user, upload_id, session, limit);
  if (s.ok()) local_granted_[upload_id] = true;
  co_return s;
}

Task<Status> UserLeases::acquire_local(std::string user, std::string upload_id, std::string session, int limit) {
  unsigned home = home_core(user);
  UserLeases* owner = peers_.empty() ? this : peers_[home];
  constexpr int64_t kPartBusy = INT64_MIN;
  // Named, not a temporary inside co_await: GCC 12 double-destroys such temporaries' captures.
  auto take = [owner, user, upload_id, session, limit]() -> int64_t {
    auto& ids = owner->local_[user];
    bool held = std::find(ids.begin(), ids.end(), upload_id) != ids.end();
    if (held && !session.empty()) return kPartBusy;
    int64_t adds = 0;
    int64_t n = effective_count(ids, upload_id, session, &adds);
    if (n + adds > limit) return -n - 1;
    if (!held) ids.push_back(upload_id);
    return n + adds;
  };
  int64_t count = co_await submit_to(r_, home, std::move(take));
  if (count == kPartBusy) {
    ++stats_.refused;
    co_return Error(Errc::conflict, "part " + upload_id.substr(upload_id.find('#') + 1) +
                                        " of this upload is already being sent by another request");
  }
  if (count < 0) {
    ++stats_.refused;
    co_return Error(Errc::limit_exceeded, "user already has " + std::to_string(-count - 1) +
                                              " uploads in progress (limit " + std::to_string(limit) + ")");
  }
  ++stats_.granted;
  co_return Status();
}

Task<void> UserLeases::release(std::string user, std::string upload_id) {
  auto local = local_granted_.find(upload_id);
  if (local != local_granted_.end() || !redis_) {
    // Without Redis every lease lives on the user's home core, whichever core granted it (a
    // multipart upload's requests land on any core).
    if (local != local_granted_.end()) local_granted_.erase(local);
    co_await release_local(user, upload_id);
    co_return;
  }
  std::vector<std::string> cmd{"ZREM", key_for(user), upload_id};
  auto r = co_await redis_->command(std::move(cmd), deadline_after(std::chrono::seconds(2)));
  if (!r.ok()) {
    ++stats_.redis_failures;  // the lease expires on its own after the TTL
    log_event(LogLevel::warn, "lease_release_failed", {{"error", r.error().message}});
  }
}

Task<void> UserLeases::release_local(std::string user, std::string upload_id) {
  unsigned home = home_core(user);
  UserLeases* owner = peers_.empty() ? this : peers_[home];
  auto give_back = [owner, user, upload_id] {
    auto it = owner->local_.find(user);
    if (it == owner->local_.end()) return false;
    auto& ids = it->second;
    ids.erase(std::remove(ids.begin(), ids.end(), upload_id), ids.end());
    if (ids.empty()) owner->local_.erase(it);
    return true;
  };
  co_await submit_to(r_, home, std::move(give_back));
}

Task<void> UserLeases::renew(std::string user, std::string upload_id) {
  if (!redis_ || local_granted_.count(upload_id)) co_return;
  int64_t expiry = now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(opts_.ttl).count();
  std::vector<std::string> cmd{"ZADD", key_for(user), "XX", std::to_string(expiry), upload_id};
  auto r = co_await redis_->command(std::move(cmd), deadline_after(std::chrono::seconds(2)));
  if (!r.ok()) ++stats_.redis_failures;
  // The set itself must outlive its newest lease too (it was given a TTL when last acquired).
  std::vector<std::string> keep{"PEXPIRE", key_for(user),
                                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(opts_.ttl).count())};
  (void)co_await redis_->command(std::move(keep), deadline_after(std::chrono::seconds(2)));
}

Task<Result<int64_t>> UserLeases::count(std::string user) {
  if (redis_) {
    std::vector<std::string> drop{"ZREMRANGEBYSCORE", key_for(user), "-inf", std::to_string(now_ms())};
    (void)co_await redis_->command(std::move(drop), deadline_after(std::chrono::seconds(2)));
    std::vector<std::string> card{"ZCARD", key_for(user)};
    auto r = co_await redis_->command(std::move(card), deadline_after(std::chrono::seconds(2)));
    if (!r.ok()) co_return std::move(r).error();
    co_return r->integer;
  }
  unsigned home = home_core(user);
  UserLeases* owner = peers_.empty() ? this : peers_[home];
  auto count_of = [owner, user]() -> int64_t {
    auto it = owner->local_.find(user);
    return it == owner->local_.end() ? 0 : static_cast<int64_t>(it->second.size());
  };
  int64_t n = co_await submit_to(r_, home, std::move(count_of));
  co_return n;
}

}  // namespace sluice
