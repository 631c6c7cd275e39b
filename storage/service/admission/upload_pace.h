// UploadPace: watches one upload's body as it arrives. It renews the upload's per-user leases by
// time (every TTL/3 while bytes move; renewing every N bytes let a slow upload's lease expire and
// stop counting against max_concurrent_uploads), and refuses a body that averages less than the
// minimum rate over a window (a crawling client would hold a slot, a lease and a reservation for
// hours): Errc::timeout, the client's fault (the API answers it as a body too slow), and the
// upload's owners release what it held.
// Bytes that never come are the body idle timeout's job (a read then fails on its own).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"
#include "storage/service/admission/user_leases.h"

namespace sluice {

struct PaceOptions {
  uint64_t min_bytes_per_second = 1024;         // 0: no minimum rate
  Duration window = std::chrono::seconds(60);  // the rate is averaged over this long
};

class UploadPace {
 public:
  // `leases` may be null (no renewal); `lease_ids` are the user's leases this body keeps alive.
  UploadPace(UserLeases* leases, TaskGroup* background, PaceOptions opts, std::string user,
             std::vector<std::string> lease_ids, Clock::time_point now = Clock::now());

  // After each piece of the body, with the bytes received so far. Errc::timeout when the last
  // full window averaged below the minimum rate.
  Status on_bytes(uint64_t total, Clock::time_point now = Clock::now());

 private:
  UserLeases* leases_;
  TaskGroup* background_;
  PaceOptions opts_;
  std::string user_;
  std::vector<std::string> lease_ids_;
  Duration renew_every_;
  Clock::time_point last_renew_;
  Clock::time_point window_start_;
  uint64_t window_start_bytes_ = 0;
};

}  // namespace sluice
