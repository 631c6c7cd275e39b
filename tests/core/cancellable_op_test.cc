#include "core/cancellable_op.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include "core/reactor.h"
#include "core/task.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::run_reactor;

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
};

TEST(CancellableOp, PollReportsReadiness) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pipe p;
    EXPECT_EQ(write(p.fds[1], "x", 1), 1);
    CancellableOp op(r);
    int res = co_await op.poll(p.fds[0], POLLIN);
    EXPECT_GT(res, 0);
    EXPECT_TRUE(res & POLLIN);
    EXPECT_FALSE(op.armed());
  });
}

TEST(CancellableOp, PollPastItsDeadlineIsEtime) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pipe p;
    CancellableOp op(r);
    int res = co_await op.poll(p.fds[0], POLLIN, deadline_after(20ms));
    EXPECT_EQ(res, -ETIME);
  });
}

Task<void> cancel_later(Reactor& r, CancellableOp* op) {
  co_await SleepUntil(r, deadline_after(5ms));
  EXPECT_TRUE(op->armed());
  op->cancel();
}

// A cancel from another coroutine ends the wait with -ECANCELED, not -ETIME, even with a deadline.
TEST(CancellableOp, CancelFromOutsideWakesThePollWithEcanceled) {
  run_reactor([](Reactor& r) -> Task<void> {
    Pipe p;
    CancellableOp op(r);
    spawn(cancel_later(r, &op));
    int res = co_await op.poll(p.fds[0], POLLIN, deadline_after(10s));
    EXPECT_EQ(res, -ECANCELED);
  });
}

TEST(CancellableOp, SleepElapsesWithEtimeOrEndsEarlyOnCancel) {
  run_reactor([](Reactor& r) -> Task<void> {
    CancellableOp op(r);
    auto start = Clock::now();
    int res = co_await op.sleep_for(10ms);
    EXPECT_EQ(res, -ETIME);
    EXPECT_GE(Clock::now() - start, 10ms);
    spawn(cancel_later(r, &op));
    start = Clock::now();
    res = co_await op.sleep_for(10s);
    EXPECT_EQ(res, -ECANCELED);
    EXPECT_LT(Clock::now() - start, 5s);
  });
}

}  // namespace
}  // namespace sluice
