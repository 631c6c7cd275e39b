#include "tools/serve_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <signal.h>

#include "core/log.h"
#include "core/reactor_pool.h"
#include "core/signal_watch.h"
#include "core/worker_pool.h"
#include "http/http_server.h"
#include "storage/api/health_routes.h"
#include "storage/api/service.h"
#include "tools/server_config.h"
#include "tools/version.h"

namespace sluice {

namespace {

// What each core owns for the server's lifetime; slot i is touched only by core i.
struct CoreState {
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> tls_server;  // the HTTPS listener, when configured
  Service* service = nullptr;
  SignalWatch* signals = nullptr;  // core 0: its watcher stops the core once it has ended
  TaskGroup tls_drain;
};

// One TLS context per core (never shared across threads), from the configured files.
Result<std::vector<std::unique_ptr<TlsServerContext>>> load_tls_contexts(const TlsServerFiles& files, unsigned n) {
  std::vector<std::unique_ptr<TlsServerContext>> out;
  for (unsigned i = 0; i < n; ++i) {
    auto ctx = TlsServerContext::load(files);
    if (!ctx.ok()) return std::move(ctx).error();
    out.push_back(std::move(*ctx));
  }
  return out;
}

// SIGHUP: the certificate and key are read again (on a worker: file reads) and each core's
// HTTPS listener takes its new context; open connections keep the session they have. A pair
// that cannot serve (unreadable, mismatched, expired, not yet valid) is refused and the
// certificate in use keeps serving.
Task<void> reload_tls(Reactor& r, WorkerPool* workers, std::vector<CoreState>* cores, TlsServerFiles files) {
  unsigned n = r.cores();
  auto job = [files, n] { return load_tls_contexts(files, n); };
  auto loaded = co_await workers->run(r, std::move(job));
  if (!loaded) {
    log_event(LogLevel::error, "tls_reload_refused", {{"reason", "the reload worker is busy"},
                                                      {"effect", "the previous certificate keeps serving"}});
    co_return;
  }
  if (!loaded->ok()) {
    log_event(LogLevel::error, "tls_reload_refused",
              {{"reason", loaded->error().message}, {"effect", "the previous certificate keeps serving"}});
    co_return;
  }
  auto& contexts = **loaded;
  log_event(LogLevel::info, "tls_reloaded",
            {{"subject", contexts[0]->subject()}, {"not_after", contexts[0]->not_after()}, {"cert", files.cert_file}});
  for (unsigned c = 0; c < n; ++c) {
    // std::function needs a copyable callable: the context travels as a raw pointer.
    TlsServerContext* raw = contexts[c].release();
    r.post_to(c, [cores, raw] {
      std::unique_ptr<TlsServerContext> ctx(raw);
      CoreState& mine = (*cores)[Reactor::current()->core()];
      if (mine.tls_server) mine.tls_server->set_tls_context(std::move(ctx));
    });
  }
}

Task<void> drain_core(Reactor& r, std::vector<CoreState>* cores, Duration delay, Duration timeout) {
  CoreState& mine = (*cores)[r.core()];
  // Readiness says 503 at once; requests are still taken for `delay`, so a load balancer that
  // polls readiness moves the traffic away before the listener closes.
  if (mine.service) mine.service->set_stopping(r.core());
  if (delay > Duration::zero()) co_await SleepUntil(r, deadline_after(delay));
  if (mine.tls_server) {
    // Both listeners drain together: the HTTPS one is drained in the background.
    spawn([](HttpServer* s, Duration t) -> Task<void> { co_await s->drain(t); }(mine.tls_server.get(), timeout),
          &mine.tls_drain);
  }
  if (mine.server) {
    co_await mine.server->drain(timeout);
    if (mine.service) mine.service->set_http_stats(r.core(), nullptr);
    mine.server.reset();
  }
  co_await mine.tls_drain.wait();
  mine.tls_server.reset();
  if (mine.service) co_await mine.service->stop_core(r);
  log_event(LogLevel::info, "core_stopped");
  if (mine.signals) {
    mine.signals->cancel(r);  // watch_signals() then ends and stops this core
  } else {
    r.stop();
  }
}

Task<void> watch_signals(Reactor& r, SignalWatch* signals, std::vector<CoreState>* cores, Duration delay,
                         Duration timeout, WorkerPool* workers, const TlsServerFiles* tls) {
  int signo = co_await signals->next(r);
  while (signo == SIGHUP) {
    if (tls) co_await reload_tls(r, workers, cores, *tls);
    else log_event(LogLevel::info, "sighup_ignored", {{"reason", "no TLS listener to reload"}});
    signo = co_await signals->next(r);
  }
  log_event(LogLevel::info, "shutdown_started", {{"signal", signo}, {"drain_timeout_ms",
      static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())}});
  for (unsigned c = 0; c < r.cores(); ++c)
    r.post_to(c, [cores, delay, timeout] { spawn(drain_core(*Reactor::current(), cores, delay, timeout)); });
  // A second signal while draining means "now".
  signo = co_await signals->next(r);
  while (signo == SIGHUP) signo = co_await signals->next(r);  // no reloads while draining
  if (signo > 0) {
    std::fprintf(stderr, "{\"level\":\"warn\",\"event\":\"shutdown_forced\",\"signal\":%d}\n", signo);
    _exit(1);
  }
  r.stop();  // the drain finished and cancelled the wait
}

}  // namespace

int run_serve_command(const std::vector<std::string>& args) {
  auto cfg = parse_server_config(args);
  if (!cfg.ok()) {
    if (cfg.error().code == Errc::cancelled) {
      std::fputs(cfg.error().message.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "sluice serve: %s\n", cfg.error().message.c_str());
    return 2;
  }
  LogLevel level = LogLevel::info;
  parse_log_level(cfg->log_level, level);
  set_log_level(level);
  auto addr = SocketAddress::parse(cfg->listen);
  if (!addr.ok()) {
    std::fprintf(stderr, "sluice serve: --listen: %s\n", addr.error().message.c_str());
    return 2;
  }
  // Signed URLs point at the address this process listens on unless told otherwise.
  if (cfg->service.public_url.empty()) {
    cfg->service.public_url = "http://" + addr->to_string();
    std::string_view host = cfg->listen;
    if (host.starts_with("0.0.0.0:") || host.starts_with("[::]:"))
      log_event(LogLevel::warn, "public_url_unset",
                {{"public_url", cfg->service.public_url},
                 {"effect", "signed URLs name the wildcard address; set SLUICE_PUBLIC_URL to the address clients use"}});
  }
  // Every connection is a file descriptor (an upload holds two: client and upstream): use all
  // the descriptors the system allows this process.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  auto signals = SignalWatch::create(/*hangup=*/true);
  if (!signals.ok()) {
    std::fprintf(stderr, "sluice serve: %s\n", signals.error().message.c_str());
    return 1;
  }
  unsigned ncores = cfg->cores ? cfg->cores : available_cores();
  // Unset, the connection cap keeps clients from taking every descriptor: each core's share of
  // the fd limit, less what its uploads in flight hold besides their client connection (an
  // upstream connection or a staged file per upload, at most the S3 connections a core may open
  // or its slots) and a reserve for databases and files. Never below half the core's share: a
  // large slot count (benchmarks set 20,000) must not shrink the cap to a handful.
  if (cfg->http.max_connections == 0) {
    rlimit now{};
    uint64_t fds = getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur != RLIM_INFINITY ? now.rlim_cur : 1u << 20;
    uint64_t per_core = fds > 256 ? (fds - 256) / ncores : 0;
    uint64_t held_by_uploads =
        std::min<uint64_t>(cfg->service.slots_per_core, cfg->service.s3_max_connections) + 32;
    uint64_t cap = per_core > held_by_uploads ? per_core - held_by_uploads : 0;
    cfg->http.max_connections = std::max<uint64_t>({cap, per_core / 2, 64});
  }

  auto service = Service::create(cfg->service, ncores);
  if (!service.ok()) {
    std::fprintf(stderr, "sluice serve: %s\n", service.error().message.c_str());
    return 2;
  }
  if (!(*service)->enabled())
    log_event(LogLevel::warn, "file_api_disabled", {{"reason", "SLUICE_PG_URL is not set: only /health is served"}});
  else if (cfg->service.redis_url.empty())
    log_event(LogLevel::warn, "redis_not_configured",
              {{"effect", "per-user upload limits are enforced per instance, not cluster-wide"}});
  Router router;
  add_health_routes(router, HealthInfo{kSluiceVersion, ncores, static_cast<int64_t>(time(nullptr))});
  (*service)->add_routes(router);

  // HTTPS: the certificate is checked now, so a bad one fails the start, not the first client.
  std::optional<TlsServerFiles> tls_files;
  std::vector<std::unique_ptr<TlsServerContext>> tls_contexts;
  std::optional<SocketAddress> tls_addr;
  if (!cfg->tls_listen.empty()) {
    tls_files = TlsServerFiles{cfg->tls_cert, cfg->tls_key};
    auto loaded = load_tls_contexts(*tls_files, ncores);
    if (!loaded.ok()) {
      std::fprintf(stderr, "sluice serve: %s\n", loaded.error().message.c_str());
      return 2;
    }
    tls_contexts = std::move(*loaded);
    auto a = SocketAddress::parse(cfg->tls_listen);
    if (!a.ok()) {
      std::fprintf(stderr, "sluice serve: --tls-listen: %s\n", a.error().message.c_str());
      return 2;
    }
    tls_addr = *a;
  }
  WorkerPool reload_workers(WorkerPoolOptions{1, 4});

  std::vector<CoreState> cores(ncores);
  ReactorPool pool(ncores, cfg->reactor);
  const ServerConfig& c = *cfg;
  Service* svc = service->get();
  auto started = pool.start([&, svc](Reactor& r) {
    cores[r.core()].service = svc;
    spawn([](Reactor& re, Service* s, std::vector<CoreState>* cs, const ServerConfig* conf, const Router* rt,
             SocketAddress at, std::optional<SocketAddress> tls_at,
             std::vector<std::unique_ptr<TlsServerContext>>* contexts) -> Task<void> {
      auto st = co_await s->start_core(re);
      if (!st.ok()) {
        std::fprintf(stderr, "sluice serve: start-up failed: %s\n", st.error().message.c_str());
        _exit(1);
      }
      auto server = std::make_unique<HttpServer>(re, *rt, conf->http);
      if (auto ls = server->listen(at); !ls.ok()) {
        std::fprintf(stderr, "sluice serve: cannot listen on %s: %s\n", conf->listen.c_str(), ls.error().message.c_str());
        _exit(1);
      }
      s->set_http_stats(re.core(), &server->stats());
      (*cs)[re.core()].server = std::move(server);
      if (tls_at) {
        auto https = std::make_unique<HttpServer>(re, *rt, conf->http);
        https->set_tls_context(std::move((*contexts)[re.core()]));
        if (auto ls = https->listen(*tls_at); !ls.ok()) {
          std::fprintf(stderr, "sluice serve: cannot listen on %s: %s\n", conf->tls_listen.c_str(),
                       ls.error().message.c_str());
          _exit(1);
        }
        (*cs)[re.core()].tls_server = std::move(https);
        if (re.core() == 0)
          log_event(LogLevel::info, "listening_tls",
                    {{"address", conf->tls_listen}, {"subject", (*cs)[0].tls_server->tls_context()->subject()},
                     {"not_after", (*cs)[0].tls_server->tls_context()->not_after()}});
      }
      if (re.core() == 0)
        log_event(LogLevel::info, "listening",
                  {{"address", conf->listen}, {"cores", re.cores()}, {"version", kSluiceVersion},
                   {"max_connections_per_core", conf->http.max_connections},
                   {"io_uring_flags", re.setup_flags()}});
    }(r, svc, &cores, &c, &router, *addr, tls_addr, &tls_contexts));
    if (r.core() == 0) {
      cores[0].signals = &*signals;
      spawn(watch_signals(r, &*signals, &cores, c.shutdown_delay, c.drain_timeout, &reload_workers,
                          tls_files ? &*tls_files : nullptr));
    }
  });
  if (!started.ok()) {
    std::fprintf(stderr, "sluice serve: %s\n", started.error().message.c_str());
    return 1;
  }
  pool.join();
  log_event(LogLevel::info, "stopped");
  return 0;
}

}  // namespace sluice
