// Admission of one part PUT of a multipart session (through Sluice, or a locally signed part
// URL): a slot of this core, and a per-user lease for the part ("{file id}#{n}" in the owner's
// lease set), which both counts the PUT against the tier's max_concurrent_uploads and lets only
// one PUT of a given part run at a time across every core and instance. Why Redis and not a
// PostgreSQL row: the lock needs exactly the lease's semantics (a TTL renewed while bytes move,
// gone on its own when an instance dies mid-PUT, no janitor), and one Lua call checks "this
// part is free" and "the owner is under the limit" atomically, in the round trip admission
// already makes; a row state would add two writes to the hot database per part plus a sweeper.
// With Redis down and redis_failure=open both checks fall back to per-instance counts.
#pragma once

#include <string>
#include <vector>

#include "core/slot_pool.h"
#include "core/task.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

// What an admitted part PUT holds; released when destroyed (the lease in the background).
class PartHold {
 public:
  PartHold(SlotPool::Slot slot, UserLeases* leases, TaskGroup* background, std::string owner, std::string session_lease,
           uint32_t part);
  PartHold(PartHold&& o) noexcept;
  PartHold& operator=(PartHold&&) = delete;
  PartHold(const PartHold&) = delete;
  ~PartHold();

  const std::string& owner() const { return owner_; }
  // The leases the body keeps alive while it moves: the session's and the part's.
  std::vector<std::string> lease_ids() const;

 private:
  SlotPool::Slot slot_;
  UserLeases* leases_;
  TaskGroup* background_;
  std::string owner_;
  std::string session_lease_;
  std::string part_lease_;
};

// Refusals: no_slot_refusal (server_busy), lease_refusal (part_in_progress, too_many_uploads,
// unavailable: limits cannot be checked), or a dependency's error.
Task<Result<PartHold>> admit_part_put(ServiceContext& ctx, SessionRecord rec, uint32_t part);

}  // namespace sluice
