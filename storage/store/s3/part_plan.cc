#include "storage/store/s3/part_plan.h"

#include <string>

namespace sluice::s3 {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

std::string mib_text(uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes / kMiB) + " MiB)";
}

Status check_object_size(uint64_t object_size) {
  if (object_size > kMaxObjectSize) {
    return Error(Errc::limit_exceeded, "object of " + std::to_string(object_size) +
                                           " bytes is larger than S3's 5 TiB limit");
  }
  return {};
}

}  // namespace

PartRange PartPlan::part(uint32_t number) const {
  PartRange r;
  r.number = number;
  r.offset = part_size * (number - 1);
  r.length = number == part_count ? last_part_size() : part_size;
  return r;
}

std::vector<PartRange> PartPlan::parts() const {
  std::vector<PartRange> out;
  out.reserve(part_count);
  for (uint32_t n = 1; n <= part_count; ++n) out.push_back(part(n));
  return out;
}

Result<PartPlan> plan_parts(uint64_t object_size, const PartPlanOptions& options) {
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) {
    return Error(Errc::invalid_argument, "part size " + mib_text(options.part_size) +
                                             " is outside S3's 5 MiB..5 GiB");
  }
  if (options.multipart_threshold > kMaxSinglePutSize) {
    return Error(Errc::invalid_argument, "multipart threshold " + mib_text(options.multipart_threshold) +
                                             " exceeds the 5 GiB single-PUT limit");
  }
  if (auto st = check_object_size(object_size); !st) return std::move(st).error();

  PartPlan plan;
  plan.object_size = object_size;
  // An empty object cannot be uploaded as multipart (zero parts), so it is always one PUT.
  if (object_size <= options.multipart_threshold || object_size == 0) {
    plan.multipart = false;
    plan.part_size = object_size;
    plan.part_count = 1;
    return plan;
  }
  uint64_t part_size = options.part_size;
  if (ceil_div(object_size, part_size) > kMaxParts) {
    // The smallest whole-MiB size that fits in 10,000 parts; 5 TiB needs 525 MiB.
    part_size = ceil_div(ceil_div(object_size, kMaxParts), kMiB) * kMiB;
  }
  plan.multipart = true;
  plan.part_size = part_size;
  plan.part_count = static_cast<uint32_t>(ceil_div(object_size, part_size));
  return plan;
}

Status validate_client_part_size(uint64_t object_size, uint64_t part_size) {
  if (auto st = check_object_size(object_size); !st) return st;
  if (part_size == 0) return Error(Errc::invalid_argument, "part size must be positive");
  if (part_size > kMaxPartSize) {
    return Error(Errc::invalid_argument, "part size " + mib_text(part_size) +
                                             " is larger than S3's 5 GiB limit");
  }
  if (object_size <= part_size) return {};  // one part: the last part has no minimum size
  if (part_size < kMinPartSize) {
    return Error(Errc::invalid_argument, "part size " + mib_text(part_size) +
                                             " is smaller than S3's 5 MiB minimum");
  }
  uint64_t count = ceil_div(object_size, part_size);
  if (count > kMaxParts) {
    return Error(Errc::invalid_argument,
                 "part size " + mib_text(part_size) + " would need " + std::to_string(count) +
                     " parts for " + std::to_string(object_size) +
                     " bytes; S3 allows 10000 — use at least " +
                     mib_text(ceil_div(ceil_div(object_size, kMaxParts), kMiB) * kMiB));
  }
  return {};
}

}  // namespace sluice::s3
