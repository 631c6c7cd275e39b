// ObjectHeader: the fixed-size header at the start of every object and part file of the local
// store (size, etag, content type). Keeping the metadata inside the file makes one rename publish
// bytes and metadata together, on any filesystem (no xattr support needed, no sidecar to leak).
// Version 2 (encrypted bodies) adds an envelope after the 512 bytes of version 1: the object's
// wrapped data key, its master key id and the segments' base nonce (segment_cipher.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/store/local/master_key_ring.h"
#include "storage/store/local/segment_cipher.h"

namespace sluice::local {

// A plain body starts at this offset in the file, an encrypted one kEnvelopeSize later.
inline constexpr size_t kObjectHeaderSize = 512;
inline constexpr size_t kEnvelopeSize = 128;
inline constexpr size_t kMaxObjectHeaderSize = kObjectHeaderSize + kEnvelopeSize;
inline constexpr size_t kMaxEtagBytes = 64;
inline constexpr size_t kMaxContentTypeBytes = 400;

// How an encrypted body's data key is kept.
struct Envelope {
  std::string key_id;  // of the master key that wraps the data key
  WrappedKey wrapped_key{};
  SegmentNonce base_nonce{};
};

struct ObjectHeader {
  uint64_t size = 0;  // body bytes (plaintext)
  std::string etag;
  std::string content_type;
  std::optional<Envelope> envelope;  // set: the body is sealed segments
};

// Where the body starts: the header's encoded size.
size_t object_header_bytes(const ObjectHeader& header);

// Content types are echoed into HTTP headers later: printable ASCII only, bounded length.
Status validate_content_type(std::string_view content_type);

// Writes the header into the first object_header_bytes(header) bytes of `out` (zero-padded) and
// returns that size. The etag, content type and key id must fit (validate_content_type; etags
// are produced by the store, key ids checked when the ring is loaded).
size_t encode_object_header(const ObjectHeader& header, std::span<char> out);
// The envelope alone, as it sits at offset kObjectHeaderSize (what `sluice rekey` rewrites).
void encode_envelope(const Envelope& envelope, std::span<char, kEnvelopeSize> out);

// Errc::internal when the bytes are not a header this store wrote (a corrupt or foreign file).
Result<ObjectHeader> decode_object_header(std::span<const char> in);

}  // namespace sluice::local
