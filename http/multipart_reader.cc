#include "http/multipart_reader.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace sluice::http {
namespace {

using Event = MultipartEvent;

// Malformed input; callers add "multipart: " and which part.
Error invalid(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars: DIGIT / ALPHA / ' ( ) + _ , - . / : = ? and space (not last).
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > MultipartReader::kMaxBoundary || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Parses `type *( OWS ";" OWS name "=" ( token / quoted-string ) )` as used by Content-Type and
// Content-Disposition, calling on_param(name, unquoted value) for each parameter. In quoted
// strings only \" and \\ are escapes; any other backslash is kept, so "C:\dir\f.txt" survives.
template <class OnParam>
Result<std::string_view> parse_params(std::string_view s, std::string_view header, OnParam on_param) {
  std::size_t i = 0;
  while (i < s.size() && is_ows(s[i])) ++i;
  std::size_t start = i;
  while (i < s.size() && s[i] != ';' && !is_ows(s[i])) ++i;
  std::string_view type = s.substr(start, i - start);
  if (type.empty()) return invalid(std::string(header) + " has no value");
  std::string value;
  for (;;) {
    while (i < s.size() && is_ows(s[i])) ++i;
    if (i == s.size()) return type;
    if (s[i] != ';') return invalid("unexpected '" + std::string(1, s[i]) + "' in " + std::string(header));
    ++i;
    while (i < s.size() && is_ows(s[i])) ++i;
    if (i == s.size()) return type;  // a trailing ';' is harmless
    start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && !is_ows(s[i])) ++i;
    std::string_view name = s.substr(start, i - start);
    if (name.empty() || i == s.size() || s[i] != '=') {
      return invalid("parameter without '=' in " + std::string(header));
    }
    ++i;
    value.clear();
    if (i < s.size() && s[i] == '"') {
      ++i;
      for (;;) {
        if (i == s.size()) return invalid("unterminated quoted string in " + std::string(header));
        char c = s[i++];
        if (c == '"') break;
        if (c == '\\' && i < s.size() && (s[i] == '"' || s[i] == '\\')) c = s[i++];
        value.push_back(c);
      }
    } else {
      start = i;
      while (i < s.size() && s[i] != ';' && !is_ows(s[i])) ++i;
      if (i == start) return invalid("empty value for parameter '" + std::string(name) + "' in " + std::string(header));
      value.assign(s.substr(start, i - start));
    }
    if (Status st = on_param(name, value); !st.ok()) return std::move(st).error();
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes an RFC 8187 ext-value (charset'language'pct-encoded) into UTF-8.
Result<std::string> decode_ext_value(std::string_view v) {
  std::size_t q1 = v.find('\'');
  std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return invalid("filename* is not charset'language'value");
  std::string_view charset = v.substr(0, q1);
  bool latin1 = iequals(charset, "iso-8859-1");
  if (!latin1 && !iequals(charset, "utf-8")) {
    return invalid("filename* charset '" + std::string(charset) + "' is not UTF-8 or ISO-8859-1");
  }
  std::string out;
  for (std::size_t i = q2 + 1; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      int hi = i + 2 < v.size() ? hex_value(v[i + 1]) : -1;
      int lo = hi < 0 ? -1 : hex_value(v[i + 2]);
      if (lo < 0) return invalid("bad percent-encoding in filename*");
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (latin1 && c >= 0x80) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

namespace {

Result<std::string> find_boundary(std::string_view content_type) {
  std::optional<std::string> boundary;
  auto type = parse_params(content_type, "Content-Type", [&](std::string_view name, const std::string& value) -> Status {
    if (!iequals(name, "boundary")) return {};
    if (boundary) return invalid("Content-Type has two boundary parameters");
    boundary = value;
    return {};
  });
  if (!type.ok()) return std::move(type).error();
  if (!iequals(*type, "multipart/form-data")) {
    return invalid("Content-Type is '" + std::string(*type) + "', not multipart/form-data");
  }
  if (!boundary) return invalid("Content-Type has no boundary parameter");
  if (!valid_boundary(*boundary)) {
    return invalid("boundary must be 1-70 characters of digits, letters, '()+_,-./:=? and space, not ending in space");
  }
  return std::move(*boundary);
}

}  // namespace

Result<std::string> parse_boundary(std::string_view content_type) {
  auto boundary = find_boundary(content_type);
  if (!boundary.ok()) return Error(Errc::invalid_argument, "multipart: " + std::move(boundary).error().message);
  return boundary;
}

MultipartReader::MultipartReader(std::string_view boundary, MultipartLimits limits)
    : delimiter_("\r\n--"), limits_(limits) {
  if (!valid_boundary(boundary)) {  // carry_ is sized for valid boundaries only
    fail(Errc::invalid_argument, "invalid boundary (use parse_boundary)");
    return;
  }
  delimiter_.append(boundary);
  // The first delimiter may open the body without a preceding CRLF: pretend one was seen.
  carry_[0] = '\r';
  carry_[1] = '\n';
  carry_size_ = 2;
}

void MultipartReader::feed(std::span<const char> piece) {
  assert(!input_left() && !finished_);
  in_ = piece.data();
  size_ = piece.size();
  pos_ = 0;
}

void MultipartReader::finish() { finished_ = true; }

Error MultipartReader::fail(Errc code, std::string message) {
  state_ = State::failed;
  error_ = Error(code, "multipart: " + std::move(message));
  return *error_;
}

MultipartEvent MultipartReader::emit_data(const char* begin, std::size_t size) {
  assert(size > 0);
  part_bytes_ += size;
  return Event{Event::Kind::data, std::span<const char>(begin, size)};
}

Result<MultipartEvent> MultipartReader::next() {
  if (error_) return *error_;
  for (;;) {
    Step step = std::optional<Event>();
    switch (state_) {
      case State::preamble: step = scan(false); break;
      case State::body: step = scan(true); break;
      case State::after_boundary:
      case State::close_dash:
      case State::padding:
      case State::boundary_cr: step = after_boundary(); break;
      case State::headers: step = read_headers(); break;
      case State::epilogue: pos_ = size_; return Event{Event::Kind::done, {}};
      case State::failed: return *error_;
    }
    if (!step.ok()) return std::move(step).error();
    if (step->has_value()) return **step;
  }
}

// Finds the next delimiter in the piece, delivering (in body) or dropping (in preamble) what
// precedes it. A delimiter prefix at the piece's end is held back in carry_.
MultipartReader::Step MultipartReader::scan(bool deliver) {
  const std::size_t dsize = delimiter_.size();
  if (carry_size_ > 0) {
    if (!input_left()) return end_of_input();
    std::size_t n = std::min(dsize - carry_size_, size_ - pos_);
    if (std::memcmp(delimiter_.data() + carry_size_, in_ + pos_, n) == 0) {
      pos_ += n;
      if (carry_size_ + n == dsize) {
        carry_size_ = 0;
        state_ = State::after_boundary;
        return std::optional<Event>();
      }
      std::memcpy(carry_.data() + carry_size_, in_ + pos_ - n, n);
      carry_size_ += n;
      return end_of_input();  // the piece is used up
    }
    // carry_ holds '\r' then non-'\r' bytes, so no delimiter starts inside it: it is all content.
    std::size_t held = carry_size_;
    carry_size_ = 0;
    if (deliver) return std::optional<Event>(emit_data(carry_.data(), held));
  }
  if (!input_left()) return end_of_input();
  const char* begin = in_ + pos_;
  const char* end = in_ + size_;
  for (const char* cr = begin;; ++cr) {
    cr = static_cast<const char*>(std::memchr(cr, '\r', static_cast<std::size_t>(end - cr)));
    if (cr == nullptr) {
      pos_ = size_;
      if (deliver) return std::optional<Event>(emit_data(begin, static_cast<std::size_t>(end - begin)));
      return end_of_input();
    }
    std::size_t n = std::min(dsize, static_cast<std::size_t>(end - cr));
    if (std::memcmp(cr, delimiter_.data(), n) != 0) continue;
    if (n < dsize) {  // a delimiter prefix ends the piece: hold it back
      std::memcpy(carry_.data(), cr, n);
      carry_size_ = n;
      pos_ = size_;
    } else {
      pos_ = static_cast<std::size_t>(cr - in_);
      if (!deliver || cr == begin) {
        pos_ += dsize;
        state_ = State::after_boundary;
        return std::optional<Event>();
      }
      // Deliver the content first; the next call finds the delimiter at pos_ again.
    }
    if (deliver && cr > begin) return std::optional<Event>(emit_data(begin, static_cast<std::size_t>(cr - begin)));
    return end_of_input();
  }
}

// After "--boundary": "--" closes the body; optional padding then CRLF opens the next part.
MultipartReader::Step MultipartReader::after_boundary() {
  while (input_left()) {
    char c = in_[pos_++];
    switch (state_) {
      case State::after_boundary:
        if (c == '-') { state_ = State::close_dash; continue; }
        [[fallthrough]];
      case State::padding:
        if (c == ' ' || c == '\t') { state_ = State::padding; continue; }
        if (c == '\r') { state_ = State::boundary_cr; continue; }
        return fail(Errc::invalid_argument, "boundary must be followed by \"--\" or CRLF");
      case State::close_dash:
        if (c != '-') return fail(Errc::invalid_argument, "boundary must be followed by \"--\" or CRLF");
        state_ = State::epilogue;
        break;
      case State::boundary_cr:
        if (c != '\n') return fail(Errc::invalid_argument, "boundary line must end with CRLF");
        state_ = State::headers;
        header_block_.clear();
        break;
      default:
        assert(false);
    }
    if (in_part_) {
      in_part_ = false;
      return std::optional<Event>(Event{Event::Kind::part_end, {}});
    }
    return std::optional<Event>();
  }
  return end_of_input();
}

MultipartReader::Step MultipartReader::read_headers() {
  if (parts_ >= limits_.max_parts) {
    return fail(Errc::limit_exceeded, "body has more than " + std::to_string(limits_.max_parts) + " parts (limit max_parts)");
  }
  if (!input_left()) return end_of_input();
  // Lines plus the blank line fit in max + 2 bytes; never take more than that from the piece.
  const std::size_t cap = limits_.max_header_block_bytes + 2;
  const std::size_t old = header_block_.size();
  header_block_.append(in_ + pos_, std::min(size_ - pos_, cap - old));
  std::size_t end = std::string_view::npos;
  if (header_block_.starts_with("\r\n")) {
    end = 2;
  } else if (std::size_t at = header_block_.find("\r\n\r\n", old < 3 ? 0 : old - 3); at != std::string::npos) {
    end = at + 4;
  }
  if (end == std::string_view::npos) {
    if (header_block_.size() < cap) {
      pos_ = size_;
      return end_of_input();
    }
    return fail(Errc::limit_exceeded, "part " + std::to_string(parts_ + 1) + " header block exceeds " +
                                          std::to_string(limits_.max_header_block_bytes) +
                                          " bytes (limit max_header_block_bytes)");
  }
  pos_ += end - old;
  header_block_.resize(end - 2);  // keep each line's CRLF, drop the blank line
  if (Status st = parse_headers(header_block_); !st.ok()) return std::move(st).error();
  ++parts_;
  part_bytes_ = 0;
  in_part_ = true;
  state_ = State::body;
  return std::optional<Event>(Event{Event::Kind::part_begin, {}});
}

Status MultipartReader::parse_headers(std::string_view block) {
  const std::string where = "part " + std::to_string(parts_ + 1) + ": ";
  part_.name.clear();
  part_.filename.reset();
  part_.content_type.clear();
  part_.headers.clear();
  bool have_disposition = false;
  bool have_type = false;
  bool have_name = false;
  std::optional<std::string> plain_filename;
  while (!block.empty()) {
    std::size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (is_ows(line.front())) return fail(Errc::invalid_argument, where + "folded header lines are not allowed");
    std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
      return fail(Errc::invalid_argument, where + "malformed header line (expected \"Name: value\")");
    }
    std::string_view value = trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; })) {
      return fail(Errc::invalid_argument, where + "control character in header '" + std::string(name) + "'");
    }
    if (part_.headers.size() >= limits_.max_headers_per_part) {
      return fail(Errc::limit_exceeded, where + "more than " + std::to_string(limits_.max_headers_per_part) +
                                            " headers (limit max_headers_per_part)");
    }
    part_.headers.push_back(MultipartHeader{std::string(name), std::string(value)});
    if (iequals(name, "content-type")) {
      if (have_type) return fail(Errc::invalid_argument, where + "two Content-Type headers");
      have_type = true;
      part_.content_type.assign(value);
    } else if (iequals(name, "content-disposition")) {
      if (have_disposition) return fail(Errc::invalid_argument, where + "two Content-Disposition headers");
      have_disposition = true;
      auto type = parse_params(value, "Content-Disposition", [&](std::string_view pname, const std::string& pvalue) -> Status {
        auto once = [&](bool& seen) -> Status {
          if (seen) return invalid("two '" + std::string(pname) + "' parameters in Content-Disposition");
          seen = true;
          return {};
        };
        if (iequals(pname, "name")) {
          if (Status st = once(have_name); !st.ok()) return st;
          part_.name = pvalue;
        } else if (iequals(pname, "filename")) {
          bool seen = plain_filename.has_value();
          if (Status st = once(seen); !st.ok()) return st;
          plain_filename = pvalue;
        } else if (iequals(pname, "filename*")) {
          bool seen = part_.filename.has_value();
          if (Status st = once(seen); !st.ok()) return st;
          auto decoded = decode_ext_value(pvalue);
          if (!decoded.ok()) return std::move(decoded).error();
          part_.filename = std::move(*decoded);
        }
        return {};
      });
      if (!type.ok()) return fail(Errc::invalid_argument, where + std::move(type).error().message);
      if (!iequals(*type, "form-data")) {
        return fail(Errc::invalid_argument, where + "Content-Disposition is '" + std::string(*type) + "', not form-data");
      }
    }
  }
  if (!have_disposition) return fail(Errc::invalid_argument, where + "no Content-Disposition header");
  if (!have_name) return fail(Errc::invalid_argument, where + "Content-Disposition has no name parameter");
  if (!part_.filename) part_.filename = std::move(plain_filename);
  return {};
}

// The piece is used up: ask for more, or if finish() was called, say what is missing.
MultipartReader::Step MultipartReader::end_of_input() {
  if (!finished_) return std::optional<Event>(Event{Event::Kind::need_more, {}});
  const std::string part = "part " + std::to_string(parts_);
  switch (state_) {
    case State::preamble: return fail(Errc::invalid_argument, "body has no opening boundary delimiter");
    case State::headers:
      return fail(Errc::invalid_argument, "body ended inside the headers of part " + std::to_string(parts_ + 1));
    case State::body: return fail(Errc::invalid_argument, "body ended inside " + part + " without a closing boundary");
    default: return fail(Errc::invalid_argument, "body ended inside a boundary line");
  }
}

}  // namespace sluice::http
