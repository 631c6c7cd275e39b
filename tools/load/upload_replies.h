// UploadReplies: reads the JSON bodies Sluice answers uploads with (simdjson): the multipart
// initiate reply (uploadId, partSize, totalParts), a part's ETag and a created file's id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace simdjson::dom {
class parser;
}

namespace sluice::load {

struct InitiateReply {
  std::string upload_id;
  uint64_t part_size = 0;
  uint64_t total_parts = 0;
};

class UploadReplies {
 public:
  UploadReplies();
  ~UploadReplies();
  UploadReplies(const UploadReplies&) = delete;
  UploadReplies& operator=(const UploadReplies&) = delete;

  // {"uploadId": "...", "partSize": N, "totalParts": N} (also "id"; totalParts derived from
  // `file_size` when absent).
  Result<InitiateReply> initiate(std::string_view body, uint64_t file_size);
  // The file id of an upload reply: "id" at the root, or in "file", or in "files"[0];
  // a number is returned in decimal. Empty when there is none.
  std::string file_id(std::string_view body);
  // A part's ETag: the header when present, else "etag" in the JSON body; empty when neither.
  std::string part_etag(std::string_view header_etag, std::string_view body);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace sluice::load
