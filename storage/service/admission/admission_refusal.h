// The refusals of admission (DESIGN §3: a slot of this core, then the user's cluster-wide
// lease), built in one place for every kind of upload: a direct upload, an upload session, a
// part PUT (through Sluice or a signed URL). Each says when a retry may succeed.
#pragma once

#include "core/result.h"

namespace sluice {

// This core has no slot free (SlotPool::acquire failed): server_busy, retry in a second.
Error no_slot_refusal(const Error& slot_error);

// UserLeases refused a lease: Errc::limit_exceeded -> too_many_uploads, Errc::conflict (that
// part is already being sent) -> part_in_progress, anything else (Redis down, policy closed)
// -> unavailable. All retry in a second.
Error lease_refusal(const Error& lease_error);

}  // namespace sluice
