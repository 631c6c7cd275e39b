#include "db/migrate_command.h"

#include "core/log.h"
#include "core/reactor.h"
#include "db/migrations.h"
#include "db/pg_pool.h"

namespace sluice {

namespace {

Task<void> migrate(Reactor& r, std::string url, int& exit_code) {
  PgOptions opts;
  opts.url = std::move(url);
  opts.connections = 1;
  opts.query_timeout = std::chrono::minutes(10);
  PgPool pool(r, opts);
  Status started = co_await pool.start();
  if (!started) {
    log_event(LogLevel::error, "migrate_failed", {{"error", started.error().message}});
    exit_code = 1;
  } else {
    log_event(LogLevel::info, "migrate_started", {{"known_migrations", embedded_migrations().size()}});
    auto report = co_await apply_migrations(pool);
    if (!report) {
      log_event(LogLevel::error, "migrate_failed",
                {{"error", report.error().message}, {"sqlstate", report.error().detail}});
      exit_code = 1;
    } else {
      log_event(LogLevel::info, "migrate_done",
                {{"applied", report->applied}, {"already_applied", report->already},
                 {"schema_version", report->latest_version}});
      exit_code = 0;
    }
  }
  co_await pool.close();
  r.stop();
}

}  // namespace

int run_migrate_command(const std::string& pg_url) {
  auto reactor = Reactor::create(0, ReactorOptions{.sq_entries = 256, .recv_buffer_count = 16, .recv_buffer_size = 4096});
  if (!reactor) {
    log_event(LogLevel::error, "migrate_failed", {{"error", reactor.error().message}});
    return 1;
  }
  Reactor& r = **reactor;
  r.set_peers({&r});
  int exit_code = 1;
  spawn(migrate(r, pg_url, exit_code));
  r.run();
  return exit_code;
}

}  // namespace sluice
