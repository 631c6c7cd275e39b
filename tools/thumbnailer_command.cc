#include "tools/thumbnailer_command.h"

#include <cstdio>
#include <memory>

#include "core/log.h"
#include "core/reactor.h"
#include "core/signal_watch.h"
#include "storage/service/thumbnails/thumbnailer.h"
#include "tools/object_store_opening.h"
#include "tools/server_config.h"

namespace sluice {

namespace {

Task<void> thumbnail(Reactor& r, ServiceConfig c, std::unique_ptr<ObjectStore> store, SignalWatch* signals, bool once,
                     int* exit_code) {
  ThumbnailStats stats;
  Thumbnailer t(r, c.pg_url, *store, thumbnailer_options(c), stats);
  if (once) {
    auto done = co_await t.run_until_idle();
    if (!done.ok()) {
      std::fprintf(stderr, "sluice thumbnailer: %s\n", done.error().message.c_str());
    } else {
      std::printf("{\"jobs\":%llu,\"made\":%llu,\"failed\":%llu,\"storeRetries\":%llu}\n",
                  static_cast<unsigned long long>(*done), static_cast<unsigned long long>(stats.made.load()),
                  static_cast<unsigned long long>(stats.failed.load()),
                  static_cast<unsigned long long>(stats.store_retries.load()));
      *exit_code = 0;
    }
  } else if (auto st = co_await t.start(); !st.ok()) {
    std::fprintf(stderr, "sluice thumbnailer: %s\n", st.error().message.c_str());
  } else {
    int signo = co_await signals->next(r);
    log_event(LogLevel::info, "thumbnailer_stopping", {{"signal", signo}});
    *exit_code = 0;
  }
  co_await t.stop();
  co_await store->shutdown();
  r.stop();
}

}  // namespace

int run_thumbnailer_command(const std::vector<std::string>& args) {
  bool once = false;
  int parse_exit = 0;
  auto cfg = parse_command_config("thumbnailer", "sluice thumbnailer [--once] [serve's flags]", args, &once, &parse_exit);
  if (!cfg) return parse_exit;
  if (cfg->service.pg_url.empty()) {
    std::fprintf(stderr, "sluice thumbnailer: set SLUICE_PG_URL (or --pg-url)\n");
    return 2;
  }
  LogLevel level = LogLevel::info;
  parse_log_level(cfg->log_level, level);
  set_log_level(level);
  auto signals = SignalWatch::create();
  if (!signals.ok()) {
    std::fprintf(stderr, "sluice thumbnailer: %s\n", signals.error().message.c_str());
    return 1;
  }
  ReactorOptions ro = cfg->reactor;
  ro.recv_buffer_count = 64;  // a handful of connections
  auto reactor = Reactor::create(0, ro);
  if (!reactor.ok()) {
    std::fprintf(stderr, "sluice thumbnailer: %s\n", reactor.error().message.c_str());
    return 1;
  }
  Reactor& r = **reactor;
  r.set_peers({&r});
  auto store = open_object_store(r, cfg->service);
  if (!store.ok()) {
    std::fprintf(stderr, "sluice thumbnailer: object store: %s\n", store.error().message.c_str());
    return 1;
  }
  int exit_code = 1;
  spawn(thumbnail(r, cfg->service, std::move(*store), &*signals, once, &exit_code));
  r.run();
  return exit_code;
}

}  // namespace sluice
