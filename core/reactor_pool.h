// ReactorPool: starts one pinned thread per core, each with its own Reactor, and introduces the
// reactors to each other so they can exchange messages. Start-up and join are the only places
// where threads synchronise.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"

namespace sluice {

class ReactorPool {
 public:
  ReactorPool(unsigned cores, ReactorOptions opts, bool pin = true);
  ~ReactorPool();
  ReactorPool(const ReactorPool&) = delete;
  ReactorPool& operator=(const ReactorPool&) = delete;

  // Creates every reactor; if any fails, none runs and the first error is returned. Otherwise
  // each thread runs `init(reactor)` and then its loop until the reactor is stopped.
  Status start(std::function<void(Reactor&)> init);
  // Waits for every reactor thread to leave its loop.
  void join();
  unsigned size() const { return cores_; }

 private:
  unsigned cores_;
  ReactorOptions opts_;
  bool pin_;
  std::vector<std::thread> threads_;
};

// Number of CPUs this process may run on (its affinity mask), at least 1.
unsigned available_cores();

}  // namespace sluice
