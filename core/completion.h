// Completion: what every io_uring SQE's user_data points to; the reactor calls complete() with
// the CQE's result and flags. One subclass per completion kind.
#pragma once

#include <cstdint>

namespace sluice {

class Completion {
 public:
  virtual void complete(int res, uint32_t flags) = 0;

 protected:
  ~Completion() = default;
};

}  // namespace sluice
