// sluice-load: an HTTP upload load generator on Sluice's io_uring reactors (one per thread).
// Closed or open loop, put / form / multipart / get modes, HDR-like latency histograms per
// phase; see `sluice-load --help`.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/reactor_pool.h"
#include "storage/service/auth/jwt.h"
#include "tools/load/load_options.h"
#include "tools/load/load_report.h"
#include "tools/load/load_runner.h"
#include "tools/load/upload_records.h"

using namespace sluice;
using namespace sluice::load;

namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) { g_interrupted.store(true, std::memory_order_relaxed); }

// Every connection is a file descriptor: raise the soft limit to the hard one, and past it
// when allowed (root). Says so when the result is still too low for the run.
uint64_t raise_nofile(uint64_t needed, bool quiet) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  uint64_t before = rl.rlim_cur;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < needed) {
    rlimit want{needed, needed};
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < needed) {
    std::fprintf(stderr,
                 "sluice-load: warning: the open-file limit is %llu (hard %llu) but this run needs about %llu; "
                 "connections past it will fail (raise it: ulimit -Hn as root, or /etc/security/limits.conf)\n",
                 static_cast<unsigned long long>(rl.rlim_cur), static_cast<unsigned long long>(rl.rlim_max),
                 static_cast<unsigned long long>(needed));
  } else if (!quiet && rl.rlim_cur != before) {
    std::fprintf(stderr, "sluice-load: open-file limit raised from %llu to %llu\n",
                 static_cast<unsigned long long>(before), static_cast<unsigned long long>(rl.rlim_cur));
  }
  return rl.rlim_cur;
}

std::string random_run_id() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid());
  for (int i = 0; i < 8; ++i, v >>= 4) id += kHex[v & 15];
  return id;
}

// Owns the thread's runner for as long as it runs, then stops the reactor (the frame dies
// before the reactor does).
Task<void> run_thread(Reactor& r, const LoadPlan* plan, unsigned index, unsigned threads, LoadStats* stats) {
  LoadRunner runner(r, *plan, index, threads, *stats);
  co_await runner.run();
  r.stop();
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_secret = std::getenv("SLUICE_JWT_SECRET");
  auto parsed = parse_load_options(std::vector<std::string>(argv + 1, argv + argc), env_secret ? env_secret : "");
  if (!parsed) {
    if (parsed.error().code == Errc::cancelled) {
      std::fputs(load_usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "sluice-load: %s\n\n%s", parsed.error().message.c_str(), load_usage().c_str());
    return 2;
  }
  auto plan = std::make_unique<LoadPlan>();
  plan->options = std::move(*parsed);
  LoadOptions& o = plan->options;
  if (o.mode == LoadMode::check) {
    auto records = read_upload_records(o.records_path);
    if (!records) {
      std::fprintf(stderr, "sluice-load: %s\n", records.error().message.c_str());
      return 2;
    }
    plan->records = std::move(*records);
    if (plan->records.empty()) {
      std::fprintf(stderr, "sluice-load: %s lists no uploads; nothing to check\n", o.records_path.c_str());
      return 0;
    }
    o.count = plan->records.size();
    o.duration = Duration::zero();
    o.users = 1;
    for (const AckedUpload& u : plan->records) o.users = std::max(o.users, u.user + 1);
  }

  unsigned threads = o.threads ? o.threads : available_cores();
  if (threads > o.concurrency) threads = o.concurrency;
  RunInfo run;
  run.threads = threads;
  run.nofile_limit = raise_nofile(o.concurrency + 64ull * threads + 64, o.quiet);
  run.run_id = random_run_id();
  plan->run_id = run.run_id;

  auto addr = SocketAddress::resolve(o.host, o.port);
  if (!addr) {
    std::fprintf(stderr, "sluice-load: cannot resolve %s: %s\n", o.host.c_str(), addr.error().message.c_str());
    return 2;
  }
  plan->client.address = *addr;
  plan->client.timeout = o.timeout;
  plan->client.continue_timeout = o.continue_timeout;
  plan->client.send_batch = o.send_batch;
  plan->host_header = (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  if (!o.no_auth) {
    int64_t now = static_cast<int64_t>(time(nullptr));
    int64_t ttl = 3600 + std::chrono::duration_cast<std::chrono::seconds>(o.duration).count();
    for (unsigned u = 0; u < o.users; ++u) {
      auth::Claims claims;
      claims.sub = "user-" + std::to_string(u);
      plan->tokens.push_back(auth::mint_hs256(claims, o.jwt_secret, now, ttl));
    }
  }
  if (!o.quiet)
    std::fprintf(stderr, "sluice-load: %s %s%s, %u threads, concurrency %u, run %s\n", std::string(mode_name(o.mode)).c_str(),
                 o.url.c_str(), o.path.c_str(), threads, o.concurrency, run.run_id.c_str());

  ReactorOptions ropts;
  ropts.recv_buffer_count = 1024;      // replies are small; reads of files (verify) stream through
  ropts.recv_buffer_size = 16 * 1024;
  std::vector<LoadStats> stats(threads);
  ReactorPool pool(threads, ropts, o.pin);
  plan->start = Clock::now();
  if (o.duration > Duration::zero()) plan->stop_at = plan->start + o.duration;
  plan->interrupted = &g_interrupted;
  struct sigaction sa{};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const LoadPlan* shared = plan.get();
  Status started = pool.start([shared, threads, &stats](Reactor& r) {
    spawn(run_thread(r, shared, r.core(), threads, &stats[r.core()]));
  });
  if (!started) {
    std::fprintf(stderr, "sluice-load: cannot start the reactors: %s\n", started.error().message.c_str());
    return 1;
  }
  pool.join();

  LoadStats total;
  for (const LoadStats& s : stats) total += s;
  std::string report = o.json ? format_json_report(o, run, total) : format_text_report(o, run, total);
  std::fputs(report.c_str(), stdout);
  if (!o.records_path.empty() && o.mode != LoadMode::check && o.mode != LoadMode::get) {
    if (Status s = write_upload_records(o.records_path, total.acked); !s) {
      std::fprintf(stderr, "sluice-load: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  if (o.mode == LoadMode::check) return total.failed == 0 ? 0 : 1;
  return total.succeeded > 0 ? 0 : 1;
}
