#include "storage/service/admission/admission_refusal.h"

#include "storage/service/domain_error.h"

namespace sluice {

namespace {
constexpr int kRetryAfterSeconds = 1;  // slots and leases free up as uploads end
}

Error no_slot_refusal(const Error& slot_error) {
  return domain_error(Reason::server_busy, slot_error.message, {}, kRetryAfterSeconds);
}

Error lease_refusal(const Error& lease_error) {
  Reason r = Reason::unavailable;
  if (lease_error.code == Errc::limit_exceeded) r = Reason::too_many_uploads;
  if (lease_error.code == Errc::conflict) r = Reason::part_in_progress;
  return domain_error(r, lease_error.message, {}, kRetryAfterSeconds);
}

}  // namespace sluice
