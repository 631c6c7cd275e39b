// Sluice's pipelined prepared point-select rate on pgbench's table (run `pgbench -i` first):
// `SELECT abalance FROM pgbench_accounts WHERE aid = $1`, the query of `pgbench -S`, issued by
// many coroutines per reactor thread over a PgPool. Prints one line of figures to compare with
// `pgbench -M prepared -S` on the same server (bench/db_compare does both).
//   pg_bench --url URL [--threads T] [--connections C per thread] [--inflight K per thread]
//            [--seconds S] [--scale N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace {

using namespace sluice;

constexpr PgStatement kSelect{"bench_select_abalance", "SELECT abalance FROM pgbench_accounts WHERE aid = $1", 1};

struct Config {
  std::string url;
  unsigned threads = 1;
  unsigned connections = 2;
  unsigned inflight = 256;
  double seconds = 5;
  int scale = 1;
};

struct ThreadResult {
  uint64_t queries = 0;
  uint64_t errors = 0;
  PgStats stats;
  std::string error;
};

Task<void> worker(PgPool& pool, Deadline end, int accounts, unsigned seed, ThreadResult& out) {
  std::minstd_rand rng(seed);
  std::uniform_int_distribution<int> aid(1, accounts);
  while (Clock::now() < end) {
    auto r = co_await pool.query(kSelect, aid(rng));
    if (r && r->rows() == 1) {
      ++out.queries;
    } else {
      ++out.errors;
      if (!r && out.error.empty()) out.error = r.error().message;
    }
  }
}

Task<void> run_thread(Reactor& r, Config cfg, unsigned index, ThreadResult& out) {
  PgOptions o;
  o.url = cfg.url;
  o.connections = cfg.connections;
  PgPool pool(r, o);
  Status s = co_await pool.start();
  if (!s) {
    out.error = s.error().message;
  } else {
    // Warm up: prepare the statement on every connection before the clock starts.
    ThreadResult warm_result;
    TaskGroup warm;
    Deadline warm_end = Clock::now() + std::chrono::milliseconds(300);
    for (unsigned i = 0; i < cfg.inflight; ++i) spawn(worker(pool, warm_end, 100000 * cfg.scale, i, warm_result), &warm);
    co_await warm.wait();
    PgStats before = pool.stats();
    Deadline end = Clock::now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(cfg.seconds));
    TaskGroup g;
    for (unsigned i = 0; i < cfg.inflight; ++i) spawn(worker(pool, end, 100000 * cfg.scale, index * 7919 + i, out), &g);
    co_await g.wait();
    out.stats = pool.stats();
    out.stats.queries -= before.queries;
    out.stats.flushes -= before.flushes;
  }
  co_await pool.close();
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
    else if (k == "--scale") c.scale = std::atoi(v);
    else return false;
  }
  return !c.url.empty() && c.threads > 0 && c.connections > 0 && c.inflight > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (argc % 2 == 0 || !parse(argc, argv, cfg)) {
    std::fprintf(stderr,
                 "usage: pg_bench --url URL [--threads T] [--connections C] [--inflight K] [--seconds S] [--scale N]\n");
    return 2;
  }
  std::vector<ThreadResult> results(cfg.threads);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (unsigned t = 0; t < cfg.threads; ++t) {
    threads.emplace_back([&cfg, &results, t] {
      auto r = Reactor::create(t, ReactorOptions{.sq_entries = 1024, .recv_buffer_count = 64, .recv_buffer_size = 16384});
      if (!r) {
        results[t].error = r.error().message;
        return;
      }
      (*r)->set_peers({r->get()});
      spawn(run_thread(**r, cfg, t, results[t]));
      (*r)->run();
    });
  }
  for (auto& th : threads) th.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ThreadResult total;
  for (auto& r : results) {
    total.queries += r.queries;
    total.errors += r.errors;
    total.stats += r.stats;
    if (total.error.empty()) total.error = r.error;
  }
  if (total.queries == 0) {
    std::fprintf(stderr, "pg_bench: no query succeeded: %s\n", total.error.c_str());
    return 1;
  }
  double qps = static_cast<double>(total.queries) / cfg.seconds;
  std::printf("sluice_pg_select qps=%.0f queries=%llu errors=%llu connections=%u inflight=%u threads=%u "
              "queries_per_flush=%.1f wall_s=%.2f\n",
              qps, static_cast<unsigned long long>(total.queries), static_cast<unsigned long long>(total.errors),
              cfg.connections * cfg.threads, cfg.inflight * cfg.threads, cfg.threads,
              total.stats.flushes ? static_cast<double>(total.stats.queries) / static_cast<double>(total.stats.flushes) : 0.0,
              elapsed);
  return total.errors ? 1 : 0;
}
