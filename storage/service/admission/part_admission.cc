#include "storage/service/admission/part_admission.h"

#include "storage/service/admission/admission_refusal.h"
#include "storage/service/uploads/sessions/session_queries.h"

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

Task<Result<PartHold>> admit_part_put(ServiceContext& ctx, SessionRecord rec, uint32_t part) {
  auto slot = co_await ctx.slots->acquire();
  if (!slot.ok()) co_return no_slot_refusal(slot.error());
  auto limit = co_await ctx.pg->query(session_sql::kOwnerUploadLimit, rec.owner);
  if (!limit.ok()) co_return std::move(limit).error();
  if (limit->rows() != 1) co_return Error(Errc::internal, "the upload's owner has no account");
  int max_concurrent = static_cast<int>(*limit->int64(0, 0));
  auto lease = co_await ctx.leases->acquire_part(rec.owner, rec.file_id, part, max_concurrent);
  if (!lease.ok()) co_return lease_refusal(lease.error());
  co_return PartHold(std::move(*slot), ctx.leases, &ctx.background, rec.owner, rec.file_id, part);
}

}  // namespace sluice
