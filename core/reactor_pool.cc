#include "core/reactor_pool.h"

#include <pthread.h>
#include <sched.h>

#include <latch>

namespace sluice {

unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

ReactorPool::ReactorPool(unsigned cores, ReactorOptions opts, bool pin)
    : cores_(cores ? cores : 1), opts_(opts), pin_(pin) {}

ReactorPool::~ReactorPool() { join(); }

Status ReactorPool::start(std::function<void(Reactor&)> init) {
  std::vector<int> cpus;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);

  std::vector<std::unique_ptr<Reactor>> reactors(cores_);
  std::vector<Status> created(cores_);
  std::latch all_created(cores_);
  std::latch go(1);
  std::latch taken(cores_);  // every thread has copied what it needs from this frame
  bool ok = false;
  std::vector<Reactor*> peers(cores_);

  for (unsigned i = 0; i < cores_; ++i) {
    threads_.emplace_back([&, i, init] {
      if (pin_ && !cpus.empty()) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus[i % cpus.size()], &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
      }
      auto r = Reactor::create(i, opts_);
      if (r) {
        reactors[i] = std::move(*r);
        peers[i] = reactors[i].get();
      } else {
        created[i] = std::move(r).error();
      }
      all_created.count_down();
      go.wait();
      if (!ok) {
        reactors[i].reset();
        taken.count_down();
        return;
      }
      std::unique_ptr<Reactor> mine = std::move(reactors[i]);
      mine->set_peers(peers);
      taken.count_down();
      init(*mine);
      mine->run();
    });
  }
  all_created.wait();
  Status result;
  for (auto& s : created)
    if (!s.ok()) {
      result = s;
      break;
    }
  ok = result.ok();
  go.count_down();
  taken.wait();
  if (!ok) join();
  return result;
}

void ReactorPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace sluice
