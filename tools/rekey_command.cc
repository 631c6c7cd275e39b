#include "tools/rekey_command.h"

#include <cstdio>
#include <memory>

#include "core/reactor.h"
#include "storage/service/master_keys_loading.h"
#include "storage/store/local/local_store.h"
#include "tools/server_config.h"

namespace sluice {

namespace {

struct RekeyCounts {
  uint64_t rewrapped = 0;
  uint64_t already_current = 0;
  uint64_t plain = 0;
  uint64_t errors = 0;
};

Task<void> rekey_all(Reactor& r, local::LocalStore& store, RekeyCounts* counts) {
  auto keys = co_await store.list("");
  if (!keys.ok()) {
    std::fprintf(stderr, "sluice rekey: listing objects: %s\n", keys.error().message.c_str());
    ++counts->errors;
  }
  for (const std::string& key : keys.ok() ? *keys : std::vector<std::string>{}) {
    auto outcome = co_await store.rekey_object(key);
    if (!outcome.ok()) {
      // Removed since the listing: nothing left to rekey.
      if (outcome.error().code == Errc::not_found) continue;
      std::fprintf(stderr, "sluice rekey: %s: %s\n", key.c_str(), outcome.error().message.c_str());
      ++counts->errors;
    } else if (*outcome == local::RekeyOutcome::rewrapped) {
      ++counts->rewrapped;
    } else if (*outcome == local::RekeyOutcome::already_current) {
      ++counts->already_current;
    } else {
      ++counts->plain;
    }
  }
  co_await store.shutdown();
  r.stop();
}

}  // namespace

int run_rekey_command(const std::vector<std::string>& args) {
  bool once = false;
  int parse_exit = 0;
  auto cfg = parse_command_config("rekey", "sluice rekey [serve's flags]", args, &once, &parse_exit);
  if (!cfg) return parse_exit;
  if (!cfg->service.encryption || cfg->service.store != "local") {
    std::fprintf(stderr, "sluice rekey: needs SLUICE_STORE=local and SLUICE_ENCRYPTION=on\n");
    return 2;
  }
  auto keys = load_master_keys(cfg->service);
  if (!keys.ok()) {
    std::fprintf(stderr, "sluice rekey: %s\n", keys.error().message.c_str());
    return 2;
  }
  ReactorOptions ro = cfg->reactor;
  ro.recv_buffer_count = 64;
  auto reactor = Reactor::create(0, ro);
  if (!reactor.ok()) {
    std::fprintf(stderr, "sluice rekey: %s\n", reactor.error().message.c_str());
    return 1;
  }
  Reactor& r = **reactor;
  r.set_peers({&r});
  local::LocalStoreOptions lo;
  lo.root = cfg->service.local_dir;
  lo.keys = std::move(*keys);
  auto store = local::LocalStore::open(r, lo);
  if (!store.ok()) {
    std::fprintf(stderr, "sluice rekey: object store: %s\n", store.error().message.c_str());
    return 1;
  }
  RekeyCounts counts;
  spawn(rekey_all(r, **store, &counts));
  r.run();
  std::printf("{\"master_key_id\":\"%s\",\"rewrapped\":%llu,\"already_current\":%llu,\"plain\":%llu,\"errors\":%llu}\n",
              lo.keys->current_id().c_str(), static_cast<unsigned long long>(counts.rewrapped),
              static_cast<unsigned long long>(counts.already_current), static_cast<unsigned long long>(counts.plain),
              static_cast<unsigned long long>(counts.errors));
  return counts.errors > 0 ? 1 : 0;
}

}  // namespace sluice
