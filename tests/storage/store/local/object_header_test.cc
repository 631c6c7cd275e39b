#include "storage/store/local/object_header.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "storage/store/local/upload_layout.h"

namespace sluice::local {
namespace {

TEST(ObjectHeader, RoundTrips) {
  std::array<char, kObjectHeaderSize> bytes;
  ObjectHeader h{12345678901ULL, "0123456789abcdef0123456789abcdef-3", "text/plain; charset=utf-8", std::nullopt};
  encode_object_header(h, bytes);
  auto back = decode_object_header(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->size, h.size);
  EXPECT_EQ(back->etag, h.etag);
  EXPECT_EQ(back->content_type, h.content_type);
}

TEST(ObjectHeader, RejectsForeignOrShortBytes) {
  std::array<char, kObjectHeaderSize> bytes{};
  EXPECT_EQ(decode_object_header(bytes).error().code, Errc::internal);
  encode_object_header(ObjectHeader{1, "e", "t", std::nullopt}, bytes);
  EXPECT_FALSE(decode_object_header(std::span<const char>(bytes.data(), 100)).ok());
  bytes[16] = static_cast<char>(200);  // etag length beyond the limit
  EXPECT_FALSE(decode_object_header(bytes).ok());
}

TEST(ObjectHeader, Version2CarriesTheEnvelopeAfterVersion1sBytes) {
  std::array<char, kMaxObjectHeaderSize> bytes;
  Envelope env{"k-2026", {}, {}};
  for (size_t i = 0; i < env.wrapped_key.size(); ++i) env.wrapped_key[i] = static_cast<unsigned char>(i + 1);
  for (size_t i = 0; i < env.base_nonce.size(); ++i) env.base_nonce[i] = static_cast<unsigned char>(200 + i);
  ObjectHeader h{70000, "0123456789abcdef0123456789abcdef", "image/png", env};
  EXPECT_EQ(encode_object_header(h, bytes), kMaxObjectHeaderSize);
  EXPECT_EQ(object_header_bytes(h), kMaxObjectHeaderSize);
  auto back = decode_object_header(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->size, 70000u);
  EXPECT_EQ(back->content_type, "image/png");
  ASSERT_TRUE(back->envelope.has_value());
  EXPECT_EQ(back->envelope->key_id, "k-2026");
  EXPECT_EQ(back->envelope->wrapped_key, env.wrapped_key);
  EXPECT_EQ(back->envelope->base_nonce, env.base_nonce);
  // Cut before the envelope ends: refused, never read as a plain object.
  EXPECT_FALSE(decode_object_header(std::span<const char>(bytes.data(), kObjectHeaderSize)).ok());
  h.envelope.reset();
  EXPECT_EQ(encode_object_header(h, bytes), kObjectHeaderSize);
  back = decode_object_header(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->envelope.has_value());
}

TEST(ObjectHeader, ValidatesContentTypes) {
  EXPECT_TRUE(validate_content_type("application/octet-stream").ok());
  EXPECT_TRUE(validate_content_type("").ok());
  EXPECT_FALSE(validate_content_type("text/plain\r\nX-Evil: 1").ok());
  EXPECT_FALSE(validate_content_type(std::string(kMaxContentTypeBytes + 1, 'a')).ok());
  EXPECT_TRUE(validate_content_type(std::string(kMaxContentTypeBytes, 'a')).ok());
}

TEST(UploadLayout, MetaAndSlotsRoundTrip) {
  auto meta = decode_upload_meta(encode_upload_meta(UploadMeta{"u/1/a\nb", "image/png"}));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->key, "u/1/a\nb");
  EXPECT_EQ(meta->content_type, "image/png");
  EXPECT_FALSE(decode_upload_meta("garbage").ok());

  std::array<char, kPartSlotSize> slot;
  encode_part_slot(PartInfo{3, 5 * 1024 * 1024 + 1, "0123456789abcdef0123456789abcdef"}, slot);
  auto p = decode_part_slot(slot, 3);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->number, 3);
  EXPECT_EQ(p->size, 5u * 1024 * 1024 + 1);
  EXPECT_EQ(p->etag, "0123456789abcdef0123456789abcdef");
  std::array<char, kPartSlotSize> hole{};
  EXPECT_FALSE(decode_part_slot(hole, 1).has_value());
}

TEST(UploadLayout, UploadIdsAreStrict) {
  std::string id = new_upload_id();
  EXPECT_TRUE(is_upload_id(id));
  EXPECT_NE(id, new_upload_id());
  EXPECT_FALSE(is_upload_id("../../0123456789abcdef0123456789"));
  EXPECT_FALSE(is_upload_id("0123456789ABCDEF0123456789ABCDEF"));
  EXPECT_FALSE(is_upload_id(id + "0"));
  EXPECT_EQ(upload_part_path(id, 42), "uploads/" + id + "/part-00042");
}

}  // namespace
}  // namespace sluice::local
