#include "db/pg_array.h"

namespace sluice {

namespace {

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool iequals_null(std::string_view s) {
  return s.size() == 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'u' && (s[2] | 0x20) == 'l' &&
         (s[3] | 0x20) == 'l';
}

Error bad(std::string_view why) { return Error(Errc::protocol_error, "malformed PostgreSQL array: " + std::string(why)); }

}  // namespace

std::string pg_encode_text_array(std::span<const std::optional<std::string>> elems) {
  std::string out = "{";
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i) out += ',';
    if (elems[i]) {
      append_quoted(out, *elems[i]);
    } else {
      out += "NULL";
    }
  }
  out += '}';
  return out;
}

std::string pg_encode_text_array(std::span<const std::string> elems) {
  std::string out = "{";
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i) out += ',';
    append_quoted(out, elems[i]);
  }
  out += '}';
  return out;
}

Result<PgTextArray> pg_decode_text_array(std::string_view t) {
  // Optional dimension decoration: "[1:2]={...}".
  if (!t.empty() && t.front() == '[') {
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return bad("dimension decoration without '='");
    t.remove_prefix(eq + 1);
  }
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') return bad("not enclosed in braces");
  PgTextArray out;
  size_t i = 1;
  const size_t end = t.size() - 1;
  while (i < end && is_space(t[i])) ++i;
  if (i == end) return out;  // "{}"
  for (;;) {
    while (i < end && is_space(t[i])) ++i;
    if (i >= end) return bad("missing element");
    if (t[i] == '{') return bad("multi-dimensional arrays are not supported");
    std::string elem;
    bool quoted = false;
    if (t[i] == '"') {
      quoted = true;
      ++i;
      for (;;) {
        if (i >= end) return bad("unterminated quoted element");
        char c = t[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i >= end) return bad("dangling backslash");
          c = t[i++];
        }
        elem += c;
      }
    } else {
      while (i < end && t[i] != ',') {
        char c = t[i++];
        if (c == '\\') {
          if (i >= end) return bad("dangling backslash");
          c = t[i++];
        }
        elem += c;
      }
      while (!elem.empty() && is_space(elem.back())) elem.pop_back();
    }
    if (!quoted && iequals_null(elem)) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::move(elem));
    }
    while (i < end && is_space(t[i])) ++i;
    if (i == end) break;
    if (t[i] != ',') return bad("expected ',' between elements");
    ++i;
  }
  return out;
}

}  // namespace sluice
