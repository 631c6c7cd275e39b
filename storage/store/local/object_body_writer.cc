#include "storage/store/local/object_body_writer.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sluice::local {

Task<Status> write_object_header(File& file, ObjectHeader header) {
  std::array<char, kMaxObjectHeaderSize> bytes;
  size_t n = encode_object_header(header, bytes);
  co_return co_await file.write_all(std::span<const char>(bytes.data(), n), 0);
}

ObjectBodyWriter::ObjectBodyWriter(File& file, uint64_t body_offset, SegmentCipher* cipher)
    : file_(file), body_offset_(body_offset), cipher_(cipher) {
  if (cipher_) segment_.reset(new char[kSegmentPlainBytes + kSegmentTagBytes]);
}

Task<Status> ObjectBodyWriter::write(std::span<const char> data) {
  if (!cipher_) {
    Status s = co_await file_.write_all(data, body_offset_ + plain_bytes_);
    if (s.ok()) plain_bytes_ += data.size();
    co_return s;
  }
  while (!data.empty()) {
    if (filled_ == kSegmentPlainBytes) {
      if (Status s = co_await flush_segment(false); !s.ok()) co_return s;
    }
    size_t n = std::min(kSegmentPlainBytes - filled_, data.size());
    std::memcpy(segment_.get() + filled_, data.data(), n);
    filled_ += n;
    plain_bytes_ += n;
    data = data.subspan(n);
  }
  co_return Status{};
}

Task<Status> ObjectBodyWriter::finish() {
  if (!cipher_) co_return Status{};
  co_return co_await flush_segment(true);
}

Task<Status> ObjectBodyWriter::flush_segment(bool final) {
  std::span<char> plain(segment_.get(), filled_);
  std::span<char, kSegmentTagBytes> tag(segment_.get() + filled_, kSegmentTagBytes);
  if (Status s = cipher_->seal(index_, final, plain, tag); !s.ok()) co_return s;
  uint64_t at = body_offset_ + index_ * (kSegmentPlainBytes + kSegmentTagBytes);
  Status s = co_await file_.write_all(std::span<const char>(segment_.get(), filled_ + kSegmentTagBytes), at);
  ++index_;
  filled_ = 0;
  co_return s;
}

}  // namespace sluice::local
