#include "http/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

#include "core/utf8.h"

namespace sluice::http {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

void JsonWriter::append_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const std::size_t n = value.size();
  out.push_back('"');
  std::size_t run = 0;  // start of bytes copied verbatim
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      // Ill-formed: the maximal ill-formed subpart becomes one U+FFFD (the Unicode-recommended
      // replacement granularity).
      std::size_t start = i;
      char32_t cp;
      if (utf8_next(value, i, cp)) continue;
      out.append(value.data() + run, start - run);
      out.append(kReplacement);
      run = i;
      continue;
    }
    out.append(value.data() + run, i - run);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escape, sizeof escape);
      }
    }
    ++i;
    run = i;
  }
  out.append(value.data() + run, n - run);
  out.push_back('"');
}

void JsonWriter::before_value() {
  if (stack_.empty()) {
    assert(!wrote_value_ && "JsonWriter: only one top-level value");
    wrote_value_ = true;
    return;
  }
  Frame& top = stack_.back();
  if (top.object) {
    assert(after_key_ && "JsonWriter: a value inside an object needs a key first");
    after_key_ = false;
    return;
  }
  if (!top.empty) out_.push_back(',');
  top.empty = false;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  assert(!stack_.empty() && stack_.back().object && !after_key_ && "JsonWriter: key outside an object");
  Frame& top = stack_.back();
  if (!top.empty) out_.push_back(',');
  top.empty = false;
  append_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  stack_.push_back(Frame{true, true});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  assert(!stack_.empty() && stack_.back().object && !after_key_ && "JsonWriter: unbalanced end_object");
  stack_.pop_back();
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  stack_.push_back(Frame{false, true});
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  assert(!stack_.empty() && !stack_.back().object && "JsonWriter: unbalanced end_array");
  stack_.pop_back();
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
  before_value();
  append_string(out_, value);
  return *this;
}

JsonWriter& JsonWriter::int64(std::int64_t value) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::uint64(std::uint64_t value) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::number(double value) {
  if (!std::isfinite(value)) return null();
  before_value();
  // "-0" reads back as integer 0 in many parsers (simdjson included); "-0.0" keeps the sign.
  if (value == 0 && std::signbit(value)) {
    out_.append("-0.0");
    return *this;
  }
  char buf[32];  // shortest round-trip form is at most 24 characters
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  before_value();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
  return *this;
}

}  // namespace sluice::http
