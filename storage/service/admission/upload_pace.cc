#include "storage/service/admission/upload_pace.h"

namespace sluice {

UploadPace::UploadPace(UserLeases* leases, TaskGroup* background, PaceOptions opts, std::string user,
                       std::vector<std::string> lease_ids, Clock::time_point now)
    : leases_(leases),
      background_(background),
      opts_(opts),
      user_(std::move(user)),
      lease_ids_(std::move(lease_ids)),
      renew_every_(leases ? leases->ttl() / 3 : Duration::max()),
      last_renew_(now),
      window_start_(now) {}

Status UploadPace::on_bytes(uint64_t total, Clock::time_point now) {
  if (leases_ && background_ && now - last_renew_ >= renew_every_) {
    last_renew_ = now;
    for (const std::string& id : lease_ids_) spawn(leases_->renew(user_, id), background_);
  }
  Duration elapsed = now - window_start_;
  if (opts_.min_bytes_per_second == 0 || opts_.window <= Duration::zero() || elapsed < opts_.window) return Status();
  double seconds = std::chrono::duration<double>(elapsed).count();
  double rate = static_cast<double>(total - window_start_bytes_) / seconds;
  if (rate < static_cast<double>(opts_.min_bytes_per_second)) {
    return Error(Errc::timeout, "the request body arrived at " + std::to_string(static_cast<uint64_t>(rate)) +
                                    " bytes/s over the last " + std::to_string(static_cast<uint64_t>(seconds)) +
                                    " s, below the minimum of " + std::to_string(opts_.min_bytes_per_second) +
                                    " bytes/s");
  }
  window_start_ = now;
  window_start_bytes_ = total;
  return Status();
}

}  // namespace sluice
