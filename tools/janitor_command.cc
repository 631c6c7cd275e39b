#include "tools/janitor_command.h"

#include <cstdio>
#include <memory>

#include "core/log.h"
#include "core/reactor.h"
#include "storage/service/janitor/janitor_task.h"
#include "tools/object_store_opening.h"
#include "tools/server_config.h"

namespace sluice {

namespace {

Task<void> janitor_once(Reactor& r, ServiceConfig c, std::unique_ptr<ObjectStore> store, int* exit_code) {
  std::unique_ptr<RedisClient> redis;
  if (!c.redis_url.empty()) {
    redis = std::make_unique<RedisClient>(r, *RedisOptions::from_url(c.redis_url));
    if (Status s = co_await redis->start(); !s.ok())
      log_event(LogLevel::warn, "janitor_redis_unavailable", {{"error", s.error().message}});
  }
  JanitorTask task(r, c.pg_url, *store, redis.get(), c.janitor_interval, JanitorOptions::from(c));
  Status connected = co_await task.connect();
  std::optional<JanitorReport> report;
  if (connected.ok()) report = co_await task.run_if_leader();
  if (!connected.ok()) {
    std::fprintf(stderr, "sluice janitor: PostgreSQL: %s\n", connected.error().message.c_str());
    *exit_code = 1;
  } else if (!report) {
    std::fprintf(stderr, "sluice janitor: another janitor holds the lock, or PostgreSQL is unreachable\n");
    *exit_code = 3;
  } else {
    std::printf("%s\n", report->to_json().c_str());
    *exit_code = report->errors > 0 ? 1 : 0;
  }
  co_await task.stop();
  co_await store->shutdown();
  if (redis) co_await redis->close();
  r.stop();
}

}  // namespace

int run_janitor_command(const std::vector<std::string>& args) {
  bool once = false;
  int parse_exit = 0;
  auto cfg = parse_command_config("janitor", "sluice janitor --once [serve's flags]", args, &once, &parse_exit);
  if (!cfg) return parse_exit;
  if (!once) {
    std::fprintf(stderr, "sluice janitor: pass --once (a running `sluice serve` repairs every --janitor-interval)\n");
    return 2;
  }
  if (cfg->service.pg_url.empty()) {
    std::fprintf(stderr, "sluice janitor: set SLUICE_PG_URL (or --pg-url)\n");
    return 2;
  }
  if (!cfg->service.redis_url.empty()) {
    if (auto ro = RedisOptions::from_url(cfg->service.redis_url); !ro.ok()) {
      std::fprintf(stderr, "sluice janitor: SLUICE_REDIS_URL: %s\n", ro.error().message.c_str());
      return 2;
    }
  }
  LogLevel level = LogLevel::info;
  parse_log_level(cfg->log_level, level);
  set_log_level(level);
  ReactorOptions ro = cfg->reactor;
  ro.recv_buffer_count = 64;  // a handful of connections
  auto reactor = Reactor::create(0, ro);
  if (!reactor.ok()) {
    std::fprintf(stderr, "sluice janitor: %s\n", reactor.error().message.c_str());
    return 1;
  }
  Reactor& r = **reactor;
  r.set_peers({&r});
  auto store = open_object_store(r, cfg->service);
  if (!store.ok()) {
    std::fprintf(stderr, "sluice janitor: object store: %s\n", store.error().message.c_str());
    return 1;
  }
  int exit_code = 1;
  spawn(janitor_once(r, cfg->service, std::move(*store), &exit_code));
  r.run();
  return exit_code;
}

}  // namespace sluice
