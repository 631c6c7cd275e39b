// The one clock the runtime uses for deadlines: CLOCK_MONOTONIC via steady_clock.
#pragma once

#include <chrono>

namespace sluice {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using Duration = Clock::duration;

// A deadline that never passes.
inline constexpr Deadline kNoDeadline = Deadline::max();

inline Deadline deadline_after(Duration d) {
  if (d == Duration::max()) return kNoDeadline;
  return Clock::now() + d;
}

}  // namespace sluice
