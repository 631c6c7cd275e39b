#include "storage/service/files/content_disposition.h"

#include <cctype>

namespace sluice {

namespace {

// The media type without parameters or surrounding space, lower-cased.
std::string essence(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<Disposition> parse_disposition(std::string_view text) {
  if (text == "inline") return Disposition::inline_view;
  if (text == "attachment") return Disposition::attachment;
  return std::nullopt;
}

bool inline_safe_type(std::string_view content_type) {
  std::string t = essence(content_type);
  // A subtype is required: "image/" alone is no type at all.
  auto under = [&](std::string_view top) { return t.size() > top.size() && t.starts_with(top); };
  if (under("image/")) return t != "image/svg+xml";  // SVG runs scripts
  return under("audio/") || under("video/") || t == "application/pdf" || t == "text/plain";
}

Disposition effective_disposition(std::string_view content_type, Disposition asked) {
  return asked == Disposition::inline_view && inline_safe_type(content_type) ? Disposition::inline_view
                                                                             : Disposition::attachment;
}

std::string content_disposition(Disposition d, std::string_view name) {
  std::string ascii, encoded;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    ascii += (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == '_') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  std::string out = d == Disposition::inline_view ? "inline" : "attachment";
  return out + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace sluice
