// Share passwords: the cost of one Argon2id hash and one verification at the parameters in
// storage/service/shares/share_password.h, and how many verifications a WorkerPool answers per
// second back to a reactor (the unlock route's path), by pool size.
#include <benchmark/benchmark.h>

#include "core/reactor.h"
#include "core/task.h"
#include "core/worker_pool.h"
#include "storage/service/shares/share_password.h"

namespace sluice {
namespace {

void BM_Argon2idHash(benchmark::State& state) {
  for (auto _ : state) {
    auto h = service::hash_share_password("correct horse battery staple");
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_Argon2idHash)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Argon2idVerify(benchmark::State& state) {
  std::string encoded = *service::hash_share_password("correct horse battery staple");
  for (auto _ : state) benchmark::DoNotOptimize(service::share_password_matches(encoded, "correct horse"));
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

// `batch` verifications submitted at once from a reactor; each resumes there.
void BM_PoolVerifyThroughput(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const int batch = 32;
  std::string encoded = *service::hash_share_password("pw");
  WorkerPool pool(WorkerPoolOptions{.threads = threads, .max_queued = 1024});
  auto r = Reactor::create(0, ReactorOptions{.sq_entries = 256, .recv_buffer_count = 16, .recv_buffer_size = 4096});
  if (!r.ok()) {
    state.SkipWithError("no reactor");
    return;
  }
  Reactor& reactor = **r;
  reactor.set_peers({&reactor});
  int64_t done_total = 0;
  // One reactor run for the whole measurement: the loop over `state` lives in the coroutine.
  auto rounds = [](Reactor& re, WorkerPool& p, std::string enc, int n, int64_t& total,
                   benchmark::State& st) -> Task<void> {
    for (auto _ : st) {
      TaskGroup group;
      for (int i = 0; i < n; ++i) {
        spawn(
            [](Reactor& re2, WorkerPool& p2, std::string e, int64_t& t) -> Task<void> {
              auto job = [e] { return service::share_password_matches(e, "pw"); };
              auto ok = co_await p2.run(re2, job);
              if (ok && *ok) ++t;
            }(re, p, enc, total),
            &group);
      }
      co_await group.wait();
    }
    re.stop();
  };
  spawn(rounds(reactor, pool, encoded, batch, done_total, state));
  reactor.run();
  if (done_total != batch * static_cast<int64_t>(state.iterations())) state.SkipWithError("a verification failed");
  state.SetItemsProcessed(done_total);
}
BENCHMARK(BM_PoolVerifyThroughput)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sluice

BENCHMARK_MAIN();
