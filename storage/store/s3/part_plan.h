// How an object of known size is cut into S3 multipart parts: equal parts except a shorter
// last one (Cloudflare R2 requires this), within S3's part size and count limits.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"

namespace sluice::s3 {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kMinPartSize = 5 * kMiB;               // all parts but the last
inline constexpr uint64_t kMaxPartSize = 5 * 1024 * kMiB;        // 5 GiB
inline constexpr uint64_t kMaxSinglePutSize = 5 * 1024 * kMiB;   // 5 GiB
inline constexpr uint64_t kMaxObjectSize = 5 * 1024 * 1024 * kMiB;  // 5 TiB
inline constexpr uint32_t kMaxParts = 10000;

struct PartPlanOptions {
  uint64_t part_size = 8 * kMiB;  // preferred; grown when the object would need > 10,000 parts
  // Objects up to this size go up in one PUT; must be <= 5 GiB.
  uint64_t multipart_threshold = 8 * kMiB;
};

struct PartRange {
  uint32_t number = 0;  // 1-based, as S3 numbers parts
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct PartPlan {
  uint64_t object_size = 0;
  bool multipart = false;  // false: one PUT of the whole object (part_count is 1)
  uint64_t part_size = 0;  // length of every part but the last
  uint32_t part_count = 0;

  // Part `number` (1..part_count).
  PartRange part(uint32_t number) const;
  uint64_t last_part_size() const { return object_size - part_size * (part_count - 1); }
  std::vector<PartRange> parts() const;
};

// The plan for an object of object_size bytes. Errors: options out of range
// (invalid_argument) or object larger than 5 TiB (limit_exceeded).
[[nodiscard]] Result<PartPlan> plan_parts(uint64_t object_size, const PartPlanOptions& options = {});

// Checks a part size a client asked for: 5 MiB..5 GiB and at most 10,000 parts, except
// that an object fitting in one part may use any part size >= 1 (a last part has no minimum).
[[nodiscard]] Status validate_client_part_size(uint64_t object_size, uint64_t part_size);

}  // namespace sluice::s3
