#include "storage/store/local/key_path.h"

namespace sluice::local {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool kept(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t encoded_size(std::string_view segment) {
  size_t n = 0;
  for (unsigned char c : segment) n += kept(c) ? 1 : 3;
  return n;
}

Status invalid(std::string msg) { return Error(Errc::invalid_argument, std::move(msg)); }

// Checks one segment of a key or of a prefix's directory part.
Status validate_segment(std::string_view seg, bool last) {
  if (seg.empty()) return invalid("object key has an empty segment (leading, trailing or doubled '/')");
  if (seg == "." || seg == "..") return invalid("object key has a '.' or '..' segment");
  size_t limit = kMaxNameBytes - (last ? kObjectSuffix.size() : 0);
  if (encoded_size(seg) > limit)
    return invalid("object key segment is too long once encoded (max " + std::to_string(limit) + " bytes)");
  return {};
}

}  // namespace

Status validate_key(std::string_view key) {
  if (key.empty()) return invalid("object key is empty");
  if (key.size() > kMaxKeyBytes)
    return invalid("object key is longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  if (key.front() == '/') return invalid("object key must not be absolute (leading '/')");
  if (key.find('\0') != std::string_view::npos) return invalid("object key contains a NUL byte");
  if (key.find('\\') != std::string_view::npos) return invalid("object key contains a backslash");
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string_view seg = key.substr(start, last ? std::string_view::npos : slash - start);
    if (Status s = validate_segment(seg, last); !s.ok()) return s;
    if (last) return {};
    start = slash + 1;
  }
}

std::string encode_segment(std::string_view segment) {
  std::string out;
  out.reserve(encoded_size(segment));
  for (unsigned char c : segment) {
    if (kept(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xF]);
    }
  }
  return out;
}

std::optional<std::string> decode_segment(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (kept(c)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c != '%' || i + 2 >= encoded.size()) return std::nullopt;
    int hi = upper_hex_value(encoded[i + 1]);
    int lo = upper_hex_value(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    unsigned char b = static_cast<unsigned char>(hi << 4 | lo);
    if (kept(b)) return std::nullopt;  // not our encoding: we never escape a kept byte
    out.push_back(static_cast<char>(b));
    i += 2;
  }
  return out;
}

Result<std::string> object_path_for_key(std::string_view key) {
  if (Status s = validate_key(key); !s.ok()) return std::move(s).error();
  std::string path;
  path.reserve(key.size() + kObjectSuffix.size() + 16);
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      path += encode_segment(key.substr(start));
      path += kObjectSuffix;
      return path;
    }
    path += encode_segment(key.substr(start, slash - start));
    path.push_back('/');
    start = slash + 1;
  }
}

std::optional<PrefixStart> prefix_start(std::string_view prefix) {
  if (prefix.size() > kMaxKeyBytes) return std::nullopt;
  if (!prefix.empty() && prefix.front() == '/') return std::nullopt;
  if (prefix.find('\0') != std::string_view::npos || prefix.find('\\') != std::string_view::npos)
    return std::nullopt;
  PrefixStart out;
  size_t last_slash = prefix.rfind('/');
  size_t partial_from = last_slash == std::string_view::npos ? 0 : last_slash + 1;
  out.partial = std::string(prefix.substr(partial_from));
  out.key_prefix = std::string(prefix.substr(0, partial_from));
  size_t start = 0;
  while (start < partial_from) {
    size_t slash = prefix.find('/', start);
    std::string_view seg = prefix.substr(start, slash - start);
    if (!validate_segment(seg, false).ok()) return std::nullopt;
    if (!out.dir.empty()) out.dir.push_back('/');
    out.dir += encode_segment(seg);
    start = slash + 1;
  }
  return out;
}

}  // namespace sluice::local
