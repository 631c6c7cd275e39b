#include "tools/relay_command.h"

#include <signal.h>

#include <cstdio>

#include "core/log.h"
#include "storage/service/events/event_relay.h"
#include "tools/server_config.h"

namespace sluice {

int run_relay_command(const std::vector<std::string>& args) {
  auto cfg = parse_server_config(args);
  if (!cfg.ok()) {
    if (cfg.error().code == Errc::cancelled) {
      std::printf("usage: sluice relay [serve's flags]\n\n%s", cfg.error().message.c_str());
      return 0;
    }
    std::fprintf(stderr, "sluice relay: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (cfg->service.pg_url.empty()) {
    std::fprintf(stderr, "sluice relay: set SLUICE_PG_URL (or --pg-url)\n");
    return 2;
  }
  if (cfg->service.nats_url.empty())
    std::fprintf(stderr, "sluice relay: SLUICE_NATS_URL is not set: the outbox is only pruned\n");
  LogLevel level = LogLevel::info;
  parse_log_level(cfg->log_level, level);
  set_log_level(level);
  // Blocked before the relay's (and nats.c's) threads exist, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  EventRelay relay(event_relay_options(cfg->service));
  relay.start();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log_event(LogLevel::info, "relay_stopping", {{"signal", sig}});
  relay.stop();
  return 0;
}

}  // namespace sluice
