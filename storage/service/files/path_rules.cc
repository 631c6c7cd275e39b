#include "storage/service/files/path_rules.h"

#include <cstdio>

#include "core/utf8.h"

namespace sluice {

namespace {

Status check_segment(std::string_view seg, std::string_view what) {
  if (seg == "." || seg == "..")
    return Error(Errc::invalid_argument, std::string(what) + " must not contain '.' or '..' segments");
  size_t i = 0;
  while (i < seg.size()) {
    char32_t c;
    if (!utf8_next(seg, i, c))
      return Error(Errc::invalid_argument,
                   std::string(what) + " must be valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)");
    if (c == 0) return Error(Errc::invalid_argument, std::string(what) + " must not contain NUL bytes");
    if (is_control_char(c))
      return Error(Errc::invalid_argument, std::string(what) + " must not contain control characters");
    // Bidi overrides, zero-width and other invisible characters make a name look like another
    // ("invoice\u202Efdp.exe" displays as "invoiceexe.pdf").
    if (is_format_char(c)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
      return Error(Errc::invalid_argument,
                   std::string(what) + " must not contain invisible format characters (" + hex + ")");
    }
    if (c == '\\') return Error(Errc::invalid_argument, std::string(what) + " must not contain backslashes");
  }
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
