#include "storage/service/uploads/tus/tus_metadata.h"

#include <openssl/evp.h>

#include <vector>

namespace sluice {

std::optional<std::string> decode_base64(std::string_view text) {
  std::string padded(text);
  while (padded.size() % 4 != 0) padded += '=';
  if (padded.empty()) return std::string();
  for (char c : padded)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return std::nullopt;
  std::vector<unsigned char> out(padded.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (padded.back() == '=') ++pad;
  if (padded.size() > 1 && padded[padded.size() - 2] == '=') ++pad;
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n) - pad);
}

Result<std::map<std::string, std::string>> parse_upload_metadata(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view pair = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    if (pair.empty()) return Error(Errc::invalid_argument, "Upload-Metadata has an empty pair");
    size_t space = pair.find(' ');
    std::string key(pair.substr(0, space));
    std::string_view value = space == std::string_view::npos ? std::string_view() : pair.substr(space + 1);
    if (value.find(' ') != std::string_view::npos)
      return Error(Errc::invalid_argument, "Upload-Metadata pair for '" + key + "' has more than one space");
    auto decoded = decode_base64(value);
    if (!decoded) return Error(Errc::invalid_argument, "Upload-Metadata value of '" + key + "' is not base64");
    if (!out.emplace(key, std::move(*decoded)).second)
      return Error(Errc::invalid_argument, "Upload-Metadata key '" + key + "' appears twice");
  }
  return out;
}

}  // namespace sluice
