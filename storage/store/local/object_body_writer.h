// ObjectBodyWriter: writes an object file's body after its header, as plain bytes or as sealed
// segments (segment_cipher.h), holding at most one segment in memory whatever the body's size.
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

// Writes the header at the start of an object or part file.
Task<Status> write_object_header(File& file, ObjectHeader header);

class ObjectBodyWriter {
 public:
  // `cipher` null: plain bytes. The file and cipher outlive the writer.
  ObjectBodyWriter(File& file, uint64_t body_offset, SegmentCipher* cipher);

  // Each write completes when its bytes may be reused; sealed bytes reach the file a segment at
  // a time (a full segment waits for the next write or finish: only then is it known whether it
  // is the final one).
  Task<Status> write(std::span<const char> data);
  // Seals and writes the last segment; call once after the last write (plain: nothing to do).
  Task<Status> finish();
  uint64_t plain_bytes() const { return plain_bytes_; }

 private:
  Task<Status> flush_segment(bool final);

  File& file_;
  uint64_t body_offset_;
  SegmentCipher* cipher_;
  std::unique_ptr<char[]> segment_;  // sealed only: kSegmentPlainBytes + tag
  size_t filled_ = 0;
  uint64_t index_ = 0;
  uint64_t plain_bytes_ = 0;
};

}  // namespace sluice::local
