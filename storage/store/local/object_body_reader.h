// ObjectBodyReader: pulls a byte range of an object file's body, plain or sealed. A sealed body is
// read and authenticated one whole segment at a time, and only the segments the range touches;
// no byte of a segment is handed out before its tag has been checked.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/file.h"
#include "core/result.h"
#include "core/task.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/segment_cipher.h"

namespace sluice::local {

// Reads and decodes the header at the start of an object or part file.
Task<Result<ObjectHeader>> read_object_header(File& file);

class ObjectBodyReader {
 public:
  // Reads [first, first + count) of the body `header` describes (the range must lie inside it).
  // `cipher` null: a plain body, read `chunk_size` bytes at a time. File and cipher outlive it.
  ObjectBodyReader(File& file, const ObjectHeader& header, SegmentCipher* cipher, size_t chunk_size, uint64_t first,
                   uint64_t count);

  // The next bytes of the range, valid until the following call; empty at its end. Errc::internal
  // when the file is truncated or a segment fails authentication.
  Task<Result<std::span<const char>>> next();

 private:
  File& file_;
  uint64_t body_offset_;
  uint64_t size_;
  SegmentCipher* cipher_;
  size_t buffer_size_;
  std::unique_ptr<char[]> buffer_;
  uint64_t pos_;
  uint64_t end_;
};

}  // namespace sluice::local
