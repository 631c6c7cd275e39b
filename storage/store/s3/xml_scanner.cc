#include "storage/store/s3/xml_scanner.h"

#include <charconv>
#include <cstdint>

namespace sluice::s3 {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_name_end(char c) { return c == '>' || c == '/' || is_space(c); }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::optional<std::string_view> XmlScanner::next(std::string_view name) {
  if (name.empty()) return std::nullopt;
  size_t p = pos_;
  while (true) {
    p = doc_.find(name, p);
    if (p == std::string_view::npos) return std::nullopt;
    size_t after = p + name.size();
    if (p == 0 || doc_[p - 1] != '<' || after >= doc_.size() || !is_name_end(doc_[after])) {
      p = after;
      continue;
    }
    size_t tag_end = doc_.find('>', after);
    if (tag_end == std::string_view::npos) return std::nullopt;
    if (doc_[tag_end - 1] == '/') {  // <name/> or <name attr="..."/>
      pos_ = tag_end + 1;
      return doc_.substr(tag_end, 0);
    }
    size_t content = tag_end + 1;
    // The closing tag: "</" name optional-space ">".
    size_t q = content;
    while (true) {
      q = doc_.find(name, q);
      if (q == std::string_view::npos) return std::nullopt;
      size_t e = q + name.size();
      if (q >= content + 2 && doc_[q - 1] == '/' && doc_[q - 2] == '<') {
        while (e < doc_.size() && is_space(doc_[e])) ++e;
        if (e < doc_.size() && doc_[e] == '>') {
          pos_ = e + 1;
          return doc_.substr(content, q - 2 - content);
        }
      }
      q = e;
    }
  }
}

std::string_view XmlScanner::root_name(std::string_view doc) {
  if (doc.starts_with("\xEF\xBB\xBF")) doc.remove_prefix(3);
  while (true) {
    size_t i = 0;
    while (i < doc.size() && is_space(doc[i])) ++i;
    doc.remove_prefix(i);
    if (doc.starts_with("<?")) {
      size_t e = doc.find("?>");
      if (e == std::string_view::npos) return {};
      doc.remove_prefix(e + 2);
    } else if (doc.starts_with("<!--")) {
      size_t e = doc.find("-->");
      if (e == std::string_view::npos) return {};
      doc.remove_prefix(e + 3);
    } else {
      break;
    }
  }
  if (doc.size() < 2 || doc[0] != '<') return {};
  size_t e = 1;
  while (e < doc.size() && !is_name_end(doc[e])) ++e;
  if (e == doc.size()) return {};
  return doc.substr(1, e - 1);
}

Result<std::string> xml_unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(raw.substr(i));
      break;
    }
    out.append(raw.substr(i, amp - i));
    size_t semi = raw.find(';', amp);
    // Entities are short; a far-away ';' means a bare '&', which XML forbids.
    if (semi == std::string_view::npos || semi - amp > 12) {
      return Error(Errc::protocol_error, "XML: unterminated entity in S3 response");
    }
    std::string_view ent = raw.substr(amp + 1, semi - amp - 1);
    if (ent == "quot") out.push_back('"');
    else if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "apos") out.push_back('\'');
    else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      bool valid = !digits.empty() && ec == std::errc() && ptr == digits.data() + digits.size() &&
                   cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (!valid) {
        return Error(Errc::protocol_error,
                     "XML: bad character reference '&" + std::string(ent) + ";' in S3 response");
      }
      append_utf8(out, cp);
    } else {
      return Error(Errc::protocol_error,
                   "XML: unknown entity '&" + std::string(ent) + ";' in S3 response");
    }
    i = semi + 1;
  }
  return out;
}

void xml_escape_append(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
}

}  // namespace sluice::s3
