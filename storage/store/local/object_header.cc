#include "storage/store/local/object_header.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace sluice::local {

namespace {

// Layout: magic(8) | size u64 LE | etag length u16 LE | content type length u16 LE | etag |
// content type | zero padding; the magic's last byte is the version. Version 2 then has the
// envelope: key id length u8 | key id | wrapped data key | base nonce | zero padding.
constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'O', '1'};
constexpr char kMagicV2[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'O', '2'};
static_assert(1 + kMaxKeyIdBytes + kWrappedKeyBytes + kSegmentNonceBytes <= kEnvelopeSize);
constexpr size_t kFixedBytes = 8 + 8 + 2 + 2;
static_assert(kFixedBytes + kMaxEtagBytes + kMaxContentTypeBytes <= kObjectHeaderSize);

void put_le(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

Status validate_content_type(std::string_view content_type) {
  if (content_type.size() > kMaxContentTypeBytes)
    return Error(Errc::invalid_argument,
                 "content type is longer than " + std::to_string(kMaxContentTypeBytes) + " bytes");
  for (unsigned char c : content_type)
    if (c < 0x20 || c > 0x7E)
      return Error(Errc::invalid_argument, "content type contains a control or non-ASCII byte");
  return {};
}

size_t object_header_bytes(const ObjectHeader& header) {
  return header.envelope ? kMaxObjectHeaderSize : kObjectHeaderSize;
}

void encode_envelope(const Envelope& e, std::span<char, kEnvelopeSize> out) {
  assert(e.key_id.size() <= kMaxKeyIdBytes);
  std::fill(out.begin(), out.end(), '\0');
  char* p = out.data();
  p[0] = static_cast<char>(e.key_id.size());
  std::memcpy(p + 1, e.key_id.data(), e.key_id.size());
  std::memcpy(p + 1 + kMaxKeyIdBytes, e.wrapped_key.data(), kWrappedKeyBytes);
  std::memcpy(p + 1 + kMaxKeyIdBytes + kWrappedKeyBytes, e.base_nonce.data(), kSegmentNonceBytes);
}

size_t encode_object_header(const ObjectHeader& header, std::span<char> out) {
  assert(header.etag.size() <= kMaxEtagBytes && header.content_type.size() <= kMaxContentTypeBytes);
  size_t bytes = object_header_bytes(header);
  assert(out.size() >= bytes);
  std::fill(out.begin(), out.begin() + static_cast<ptrdiff_t>(bytes), '\0');
  char* p = out.data();
  std::memcpy(p, header.envelope ? kMagicV2 : kMagic, sizeof(kMagic));
  put_le(p + 8, header.size, 8);
  put_le(p + 16, header.etag.size(), 2);
  put_le(p + 18, header.content_type.size(), 2);
  std::memcpy(p + kFixedBytes, header.etag.data(), header.etag.size());
  std::memcpy(p + kFixedBytes + header.etag.size(), header.content_type.data(), header.content_type.size());
  if (header.envelope) encode_envelope(*header.envelope, out.subspan(kObjectHeaderSize).first<kEnvelopeSize>());
  return bytes;
}

Result<ObjectHeader> decode_object_header(std::span<const char> in) {
  auto corrupt = [](const char* why) {
    return Error(Errc::internal, std::string("local object file has a corrupt header: ") + why);
  };
  if (in.size() < kObjectHeaderSize) return corrupt("file shorter than the header");
  const char* p = in.data();
  bool sealed = std::memcmp(p, kMagicV2, sizeof(kMagicV2)) == 0;
  if (!sealed && std::memcmp(p, kMagic, sizeof(kMagic)) != 0) return corrupt("bad magic");
  size_t etag_len = get_le(p + 16, 2);
  size_t type_len = get_le(p + 18, 2);
  if (etag_len > kMaxEtagBytes || type_len > kMaxContentTypeBytes) return corrupt("field too long");
  ObjectHeader h;
  h.size = get_le(p + 8, 8);
  h.etag.assign(p + kFixedBytes, etag_len);
  h.content_type.assign(p + kFixedBytes + etag_len, type_len);
  if (!sealed) return h;
  if (in.size() < kMaxObjectHeaderSize) return corrupt("file shorter than the encryption envelope");
  const char* e = p + kObjectHeaderSize;
  size_t id_len = static_cast<unsigned char>(e[0]);
  if (id_len == 0 || id_len > kMaxKeyIdBytes) return corrupt("bad master key id length");
  Envelope env;
  env.key_id.assign(e + 1, id_len);
  std::memcpy(env.wrapped_key.data(), e + 1 + kMaxKeyIdBytes, kWrappedKeyBytes);
  std::memcpy(env.base_nonce.data(), e + 1 + kMaxKeyIdBytes + kWrappedKeyBytes, kSegmentNonceBytes);
  h.envelope = std::move(env);
  return h;
}

}  // namespace sluice::local
