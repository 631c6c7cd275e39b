// The on-disk layout of a local multipart upload: a directory uploads/{id} holding `meta` (key
// and content type), one file per part (written like an object, header included) and
// `parts.idx`, a fixed-slot index (slot n-1 describes part n) that list_parts reads without
// listing the directory; the part files stay authoritative for complete.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/store/object_store.h"

namespace sluice::local {

inline constexpr std::string_view kUploadsDir = "uploads";
inline constexpr int kMaxPartNumber = 10000;  // S3's limit
inline constexpr size_t kUploadIdChars = 32;  // 128 random bits, lower-case hex
inline constexpr size_t kPartSlotSize = 64;
inline constexpr size_t kMaxUploadMetaBytes = 2048;

// Upload ids are ours: exactly 32 lower-case hex characters (which also rules out traversal).
bool is_upload_id(std::string_view id);
// 128 random bits (OpenSSL's CSPRNG) as lower-case hex; also names temp files.
std::string new_upload_id();

std::string upload_dir(std::string_view id);
std::string upload_meta_path(std::string_view id);
std::string upload_index_path(std::string_view id);
std::string upload_part_name(int part_number);  // "part-00001"
std::string upload_part_path(std::string_view id, int part_number);

struct UploadMeta {
  std::string key;
  std::string content_type;
};
std::string encode_upload_meta(const UploadMeta& meta);
// Errc::internal for bytes this store did not write.
Result<UploadMeta> decode_upload_meta(std::string_view bytes);

// A slot records a part's size and etag (an MD5 hex); all-zero slots (holes) are absent parts.
void encode_part_slot(const PartInfo& part, std::span<char, kPartSlotSize> out);
std::optional<PartInfo> decode_part_slot(std::span<const char, kPartSlotSize> slot, int part_number);

}  // namespace sluice::local
