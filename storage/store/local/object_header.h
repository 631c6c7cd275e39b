// ObjectHeader: the fixed-size header at the start of every object and part file of the local
// store (size, etag, content type). Keeping the metadata inside the file makes one rename publish
// bytes and metadata together, on any filesystem (no xattr support needed, no sidecar to leak).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::local {

// The body starts at this offset in the file.
inline constexpr size_t kObjectHeaderSize = 512;
inline constexpr size_t kMaxEtagBytes = 64;
inline constexpr size_t kMaxContentTypeBytes = 400;

struct ObjectHeader {
  uint64_t size = 0;  // body bytes
  std::string etag;
  std::string content_type;
};

// Content types are echoed into HTTP headers later: printable ASCII only, bounded length.
Status validate_content_type(std::string_view content_type);

// Writes the header into exactly kObjectHeaderSize bytes (zero-padded). The etag and content type
// must fit (validate_content_type; etags are produced by the store).
void encode_object_header(const ObjectHeader& header, std::span<char, kObjectHeaderSize> out);

// Errc::internal when the bytes are not a header this store wrote (a corrupt or foreign file).
Result<ObjectHeader> decode_object_header(std::span<const char> in);

}  // namespace sluice::local
