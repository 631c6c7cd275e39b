#include "storage/store/local/upload_layout.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "storage/store/stream_digest.h"

namespace sluice::local {

namespace {
constexpr std::string_view kMetaMagic = "sluice-upload-v1\n";
constexpr char kSlotPresent = 'P';
constexpr size_t kSlotEtagOffset = 16;
constexpr size_t kSlotEtagBytes = 32;
}  // namespace

bool is_upload_id(std::string_view id) {
  return id.size() == kUploadIdChars &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string upload_dir(std::string_view id) {
  std::string p(kUploadsDir);
  p.push_back('/');
  p += id;
  return p;
}

std::string upload_meta_path(std::string_view id) { return upload_dir(id) + "/meta"; }
std::string upload_index_path(std::string_view id) { return upload_dir(id) + "/parts.idx"; }

std::string new_upload_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();  // no entropy: unusable host
  return to_hex(bytes);
}

std::string upload_part_name(int part_number) {
  char name[16];
  std::snprintf(name, sizeof(name), "part-%05d", part_number);
  return name;
}

std::string upload_part_path(std::string_view id, int part_number) {
  return upload_dir(id) + "/" + upload_part_name(part_number);
}

std::string encode_upload_meta(const UploadMeta& meta) {
  // The content type holds no newline (validate_content_type), so the key is simply the rest.
  std::string out(kMetaMagic);
  out += meta.content_type;
  out.push_back('\n');
  out += meta.key;
  return out;
}

Result<UploadMeta> decode_upload_meta(std::string_view bytes) {
  if (bytes.substr(0, kMetaMagic.size()) != kMetaMagic)
    return Error(Errc::internal, "local multipart upload has a corrupt meta file");
  bytes.remove_prefix(kMetaMagic.size());
  size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return Error(Errc::internal, "local multipart upload has a truncated meta file");
  return UploadMeta{std::string(bytes.substr(nl + 1)), std::string(bytes.substr(0, nl))};
}

void encode_part_slot(const PartInfo& part, std::span<char, kPartSlotSize> out) {
  assert(part.etag.size() == kSlotEtagBytes);
  std::fill(out.begin(), out.end(), '\0');
  out[0] = kSlotPresent;
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<char>((part.size >> (8 * i)) & 0xFF);
  std::memcpy(out.data() + kSlotEtagOffset, part.etag.data(), std::min(part.etag.size(), kSlotEtagBytes));
}

std::optional<PartInfo> decode_part_slot(std::span<const char, kPartSlotSize> slot, int part_number) {
  if (slot[0] != kSlotPresent) return std::nullopt;
  PartInfo p;
  p.number = part_number;
  for (int i = 0; i < 8; ++i) p.size |= static_cast<uint64_t>(static_cast<unsigned char>(slot[8 + i])) << (8 * i);
  p.etag.assign(slot.data() + kSlotEtagOffset, kSlotEtagBytes);
  return p;
}

}  // namespace sluice::local
