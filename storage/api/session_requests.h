// The JSON bodies of the multipart API, parsed and checked for shape (types, ranges); the
// routes apply the path, name and content-type rules afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/service/uploads/byte_count.h"
#include "storage/service/uploads/sessions/session_completion.h"

namespace sluice {

// POST /v1/uploads: {path?, name, contentType?, size, partSize?, visibility?, onConflict?}
struct InitiateRequest {
  std::string path = "/";
  std::string name;
  std::optional<std::string> content_type;
  std::optional<std::string> visibility;
  ByteCount size = ByteCount::trusted(0);  // checked where parsed: never beyond ByteCount::kMax
  std::optional<uint64_t> part_size;         // likewise
  std::optional<std::string> on_conflict;    // as sent; the route parses it
};

Result<InitiateRequest> parse_initiate_request(std::string_view json);
// POST /v1/uploads/{id}/complete: {parts: [{partNumber, etag}, ...]}
Result<std::vector<RequestedPart>> parse_complete_request(std::string_view json);
// POST /v1/uploads/{id}/parts/{n}/url: {expiresIn?} (an empty body is allowed).
Result<std::optional<int64_t>> parse_presign_request(std::string_view json);

}  // namespace sluice
