#include "storage/service/admission/lease_admin.h"

#include <charconv>

#include "db/redis_script.h"
#include "storage/service/admission/lease_key.h"

namespace sluice::service {

namespace {

using namespace std::chrono_literals;

// KEYS[1] lease set. Returns how many leases it held.
constexpr const char* kDropLeasesLua = R"lua(
local n = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1])
return n
)lua";

}  // namespace

Task<Result<std::vector<UserLease>>> live_user_leases(RedisClient& redis, std::string user, int64_t now_ms) {
  std::vector<std::string> cmd;
  cmd.push_back("ZRANGE");
  cmd.push_back(lease_key(user));
  cmd.push_back("0");
  cmd.push_back("-1");
  cmd.push_back("WITHSCORES");
  auto r = co_await redis.command(std::move(cmd), deadline_after(2s));
  if (!r.ok()) co_return std::move(r).error();
  std::vector<UserLease> live;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    const std::string& score = r->elements[i + 1].str;
    int64_t expiry = 0;
    auto [end, ec] = std::from_chars(score.data(), score.data() + score.size(), expiry);
    if (ec == std::errc() && expiry > now_ms) live.push_back(UserLease{r->elements[i].str, expiry});
  }
  co_return live;
}

Task<Result<int64_t>> drop_user_leases(RedisClient& redis, std::string user) {
  static const RedisScript kDrop(kDropLeasesLua);
  std::vector<std::string> keys;
  keys.push_back(lease_key(user));
  std::vector<std::string> args;
  auto r = co_await redis.eval(kDrop, std::move(keys), std::move(args), deadline_after(2s));
  if (!r.ok()) co_return std::move(r).error();
  co_return r->integer;
}

}  // namespace sluice::service
