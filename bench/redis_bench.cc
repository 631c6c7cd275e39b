// Sluice's pipelined Redis INCR rate: many coroutines per reactor thread issuing INCR on one
// key over a RedisClient. Prints one line of figures to compare with
// `redis-benchmark -P 16 -t incr -q` on the same server (bench/db_compare does both).
//   redis_bench --url redis://HOST:PORT/DB [--threads T] [--connections C per thread]
//               [--inflight K per thread] [--seconds S]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "core/task.h"
#include "db/redis_client.h"

namespace {

using namespace sluice;

struct Config {
  std::string url;
  unsigned threads = 1;
  unsigned connections = 1;
  unsigned inflight = 800;  // redis-benchmark's default: 50 clients x 16 pipelined
  double seconds = 5;
};

struct ThreadResult {
  uint64_t commands = 0;
  uint64_t errors = 0;
  RedisStats stats;
  std::string error;
};

Task<void> worker(RedisClient& c, Deadline end, ThreadResult& out) {
  while (Clock::now() < end) {
    auto r = co_await c.call("INCR", "sluice_bench:counter");
    if (r) {
      ++out.commands;
    } else {
      ++out.errors;
      if (out.error.empty()) out.error = r.error().message;
    }
  }
}

Task<void> run_thread(Reactor& r, RedisOptions o, Config cfg, ThreadResult& out) {
  RedisClient c(r, o);
  Status s = co_await c.start();
  if (!s) {
    out.error = s.error().message;
  } else {
    RedisStats before = c.stats();
    Deadline end = Clock::now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(cfg.seconds));
    TaskGroup g;
    for (unsigned i = 0; i < cfg.inflight; ++i) spawn(worker(c, end, out), &g);
    co_await g.wait();
    out.stats = c.stats();
    out.stats.commands -= before.commands;
    out.stats.flushes -= before.flushes;
  }
  co_await c.close();
  r.stop();
}

bool parse(int argc, char** argv, Config& c) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--url") c.url = v;
    else if (k == "--threads") c.threads = static_cast<unsigned>(std::atoi(v));
    else if (k == "--connections") c.connections = static_cast<unsigned>(std::atoi(v));
    else if (k == "--inflight") c.inflight = static_cast<unsigned>(std::atoi(v));
    else if (k == "--seconds") c.seconds = std::atof(v);
    else return false;
  }
  return !c.url.empty() && c.threads > 0 && c.connections > 0 && c.inflight > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (argc % 2 == 0 || !parse(argc, argv, cfg)) {
    std::fprintf(stderr, "usage: redis_bench --url URL [--threads T] [--connections C] [--inflight K] [--seconds S]\n");
    return 2;
  }
  auto opts = RedisOptions::from_url(cfg.url);
  if (!opts) {
    std::fprintf(stderr, "redis_bench: %s\n", opts.error().message.c_str());
    return 2;
  }
  opts->connections = cfg.connections;
  std::vector<ThreadResult> results(cfg.threads);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < cfg.threads; ++t) {
    threads.emplace_back([&cfg, &results, &opts, t] {
      auto r = Reactor::create(t, ReactorOptions{.sq_entries = 1024, .recv_buffer_count = 64, .recv_buffer_size = 65536});
      if (!r) {
        results[t].error = r.error().message;
        return;
      }
      (*r)->set_peers({r->get()});
      spawn(run_thread(**r, *opts, cfg, results[t]));
      (*r)->run();
    });
  }
  for (auto& th : threads) th.join();
  ThreadResult total;
  for (auto& r : results) {
    total.commands += r.commands;
    total.errors += r.errors;
    total.stats += r.stats;
    if (total.error.empty()) total.error = r.error;
  }
  if (total.commands == 0) {
    std::fprintf(stderr, "redis_bench: no command succeeded: %s\n", total.error.c_str());
    return 1;
  }
  std::printf("sluice_redis_incr ops=%.0f commands=%llu errors=%llu connections=%u inflight=%u threads=%u "
              "commands_per_send=%.1f\n",
              static_cast<double>(total.commands) / cfg.seconds, static_cast<unsigned long long>(total.commands),
              static_cast<unsigned long long>(total.errors), cfg.connections * cfg.threads, cfg.inflight * cfg.threads,
              cfg.threads,
              total.stats.flushes ? static_cast<double>(total.stats.commands) / static_cast<double>(total.stats.flushes) : 0.0);
  return total.errors ? 1 : 0;
}
