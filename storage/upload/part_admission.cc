#include "storage/upload/part_admission.h"

#include "storage/upload/multipart_queries.h"

namespace sluice {

PartHold::PartHold(SlotPool::Slot slot, UserLeases* leases, TaskGroup* background, std::string owner,
                   std::string session_lease, uint32_t part)
    : slot_(std::move(slot)),
      leases_(leases),
      background_(background),
      owner_(std::move(owner)),
      session_lease_(std::move(session_lease)),
      part_lease_(UserLeases::part_lease_id(session_lease_, part)) {}

PartHold::PartHold(PartHold&& o) noexcept
    : slot_(std::move(o.slot_)),
      leases_(std::exchange(o.leases_, nullptr)),
      background_(o.background_),
      owner_(std::move(o.owner_)),
      session_lease_(std::move(o.session_lease_)),
      part_lease_(std::move(o.part_lease_)) {}

PartHold::~PartHold() {
  if (leases_) spawn(leases_->release(owner_, part_lease_), background_);
}

std::vector<std::string> PartHold::lease_ids() const {
  std::vector<std::string> ids;
  ids.push_back(session_lease_);
  ids.push_back(part_lease_);
  return ids;
}

Task<std::variant<PartHold, ApiError>> admit_part_put(ServiceContext& ctx, MultipartRecord rec, uint32_t part) {
  auto slot = co_await ctx.slots->acquire();
  if (!slot.ok()) co_return ApiError(503, "server_busy", slot.error().message).with_header("Retry-After", "1");
  auto limit = co_await ctx.pg->query(multipart_sql::kOwnerUploadLimit, rec.owner);
  if (!limit.ok()) co_return api_error_from(limit.error());
  if (limit->rows() != 1) co_return ApiError(500, "internal", "the upload's owner has no account");
  int max_concurrent = static_cast<int>(*limit->int64(0, 0));
  auto lease = co_await ctx.leases->acquire_part(rec.owner, rec.file_id, part, max_concurrent);
  if (!lease.ok()) {
    switch (lease.error().code) {
      case Errc::conflict:
        co_return ApiError(409, "part_in_progress", lease.error().message).with_header("Retry-After", "1");
      case Errc::limit_exceeded:
        co_return ApiError(429, "too_many_uploads", lease.error().message).with_header("Retry-After", "1");
      default:
        co_return ApiError(503, "unavailable", lease.error().message).with_header("Retry-After", "1");
    }
  }
  co_return PartHold(std::move(*slot), ctx.leases, &ctx.background, rec.owner, rec.file_id, part);
}

}  // namespace sluice
