// One tus PATCH: the body streamed into the store, cut by position in the whole file. Bytes that
// complete a part go into that part (after the tail segments it begins with, replayed from the
// store); bytes short of the next part boundary become a new tail segment object. The offset,
// the parts and the segments move together in PostgreSQL after each piece (so a cut connection
// or a killed server loses at most the piece in flight), or once at the end when the client sent
// Upload-Checksum (a mismatch then leaves the upload as it was: the chunk is not counted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/task.h"
#include "storage/service/files/file_record.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/tus/tus_checksum.h"
#include "storage/service/uploads/tus/tus_upload.h"

namespace sluice {

struct TusPatchResult {
  uint64_t offset = 0;
  std::string expires;              // Upload-Expires after this PATCH
  std::optional<FileRecord> file;   // set when this PATCH finished the upload
  std::optional<Error> body_error;  // the body failed (client gone, too slow); what was stored is kept
};

// Streams `length` bytes of `body` at up.offset (which the caller checked against the client's
// Upload-Offset, and for which it holds the PATCH lock). Refusals: checksum_mismatch (nothing
// counted), conflict (the offset moved meanwhile), the session's state, a store's error.
Task<Result<TusPatchResult>> write_tus_chunk(ServiceContext& ctx, TusUpload up, ByteSource& body, uint64_t length,
                                             std::optional<TusChecksum> checksum, Duration expiry);

}  // namespace sluice
