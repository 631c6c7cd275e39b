#include "storage/store/local/object_body_reader.h"

#include <algorithm>
#include <array>

namespace sluice::local {

Task<Result<ObjectHeader>> read_object_header(File& file) {
  std::array<char, kMaxObjectHeaderSize> bytes;
  auto got = co_await file.read_full(bytes, 0);
  if (!got.ok()) co_return std::move(got).error();
  co_return decode_object_header(std::span<const char>(bytes.data(), *got));
}

ObjectBodyReader::ObjectBodyReader(File& file, const ObjectHeader& header, SegmentCipher* cipher, size_t chunk_size,
                                   uint64_t first, uint64_t count)
    : file_(file),
      body_offset_(object_header_bytes(header)),
      size_(header.size),
      cipher_(cipher),
      buffer_size_(cipher ? kSegmentPlainBytes + kSegmentTagBytes
                          : static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(chunk_size, count)))),
      pos_(first),
      end_(first + count) {}

Task<Result<std::span<const char>>> ObjectBodyReader::next() {
  if (pos_ >= end_) co_return std::span<const char>();
  if (!buffer_) buffer_.reset(new char[buffer_size_]);
  auto truncated = [this] { return Error(Errc::internal, "local object file " + file_.name() + " is truncated"); };
  if (!cipher_) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_size_, end_ - pos_));
    auto got = co_await file_.read_full(std::span<char>(buffer_.get(), want), body_offset_ + pos_);
    if (!got.ok()) co_return std::move(got).error();
    if (*got != want) co_return truncated();
    pos_ += want;
    co_return std::span<const char>(buffer_.get(), want);
  }
  uint64_t index = pos_ / kSegmentPlainBytes;
  uint64_t seg_first = index * kSegmentPlainBytes;
  size_t plain = static_cast<size_t>(std::min<uint64_t>(kSegmentPlainBytes, size_ - seg_first));
  auto got = co_await file_.read_full(std::span<char>(buffer_.get(), plain + kSegmentTagBytes),
                                      body_offset_ + index * (kSegmentPlainBytes + kSegmentTagBytes));
  if (!got.ok()) co_return std::move(got).error();
  if (*got != plain + kSegmentTagBytes) co_return truncated();
  bool final = index + 1 == segment_count(size_);
  Status s = cipher_->open(index, final, std::span<char>(buffer_.get(), plain),
                           std::span<const char, kSegmentTagBytes>(buffer_.get() + plain, kSegmentTagBytes));
  if (!s.ok()) co_return Error(Errc::internal, "local object file " + file_.name() + ": " + s.error().message);
  uint64_t stop = std::min<uint64_t>(end_, seg_first + plain);
  std::span<const char> out(buffer_.get() + (pos_ - seg_first), static_cast<size_t>(stop - pos_));
  pos_ = stop;
  co_return out;
}

}  // namespace sluice::local
