// Test support: run a coroutine on a fresh reactor on the test thread until it finishes.
#pragma once

#include <gtest/gtest.h>

#include "core/reactor.h"
#include "core/task.h"

namespace sluice::testing {

template <class F>
void run_reactor(F body, ReactorOptions opts = {}) {
  auto r = Reactor::create(0, opts);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Reactor& reactor = **r;
  reactor.set_peers({&reactor});
  bool done = false;
  auto wrapper = [](Reactor& re, F b, bool& d) -> Task<void> {
    co_await b(re);
    d = true;
    re.stop();
  };
  spawn(wrapper(reactor, std::move(body), done));
  reactor.run();
  ASSERT_TRUE(done);
}

}  // namespace sluice::testing
