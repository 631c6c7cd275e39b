#include "storage/files/path_rules.h"

namespace sluice {

namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    if (n == 2 && c < 0xC2) return false;  // overlong
    i += n;
  }
  return true;
}

Status check_segment(std::string_view seg, std::string_view what) {
  if (seg == "." || seg == "..")
    return Error(Errc::invalid_argument, std::string(what) + " must not contain '.' or '..' segments");
  for (unsigned char c : seg) {
    if (c == 0) return Error(Errc::invalid_argument, std::string(what) + " must not contain NUL bytes");
    if (c < 0x20 || c == 0x7F)
      return Error(Errc::invalid_argument, std::string(what) + " must not contain control characters");
    if (c == '\\') return Error(Errc::invalid_argument, std::string(what) + " must not contain backslashes");
  }
  if (!valid_utf8(seg)) return Error(Errc::invalid_argument, std::string(what) + " must be valid UTF-8");
  return Status();
}

}  // namespace

Result<std::string> normalize_virtual_path(std::string_view path) {
  if (path.size() > kMaxPathBytes)
    return Error(Errc::invalid_argument, "path is longer than " + std::to_string(kMaxPathBytes) + " bytes");
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(i, slash - i);
    if (!seg.empty()) {
      if (auto s = check_segment(seg, "path"); !s.ok()) return s.error();
      out += '/';
      out += seg;
    }
    i = slash + 1;
  }
  if (out.empty()) out = "/";
  return out;
}

Result<std::string> validate_file_name(std::string_view name) {
  if (name.empty()) return Error(Errc::invalid_argument, "file name is empty");
  if (name.size() > kMaxNameBytes)
    return Error(Errc::invalid_argument, "file name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (name.find('/') != std::string_view::npos) return Error(Errc::invalid_argument, "file name must not contain '/'");
  if (auto s = check_segment(name, "file name"); !s.ok()) return s.error();
  return std::string(name);
}

}  // namespace sluice
