#include "storage/api/content_response.h"

#include <optional>

#include "storage/api/api_error.h"
#include "storage/api/caller_auth.h"
#include "storage/api/range_header.h"

namespace sluice {

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The headers every answer about the content carries, 304 included.
Headers validator_headers(const ContentTarget& t) {
  Headers h;
  if (!t.etag.empty()) h.emplace_back("ETag", "\"" + t.etag + "\"");
  if (!t.cache_control.empty()) h.emplace_back("Cache-Control", t.cache_control);
  h.emplace_back("X-Content-Type-Options", "nosniff");
  return h;
}

Headers content_headers(const ContentTarget& t, bool partial, uint64_t first, uint64_t length) {
  Headers h = validator_headers(t);
  h.emplace_back("Content-Type", t.content_type.empty() ? std::string("application/octet-stream") : t.content_type);
  h.emplace_back("Accept-Ranges", "bytes");
  if (!t.disposition.empty()) h.emplace_back("Content-Disposition", t.disposition);
  if (partial) {
    uint64_t last = length == 0 ? first : first + length - 1;
    h.emplace_back("Content-Range",
                   "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(t.size));
  }
  return h;
}

// Sends the precomputed head when the store starts answering, then the bytes.
class ContentSink final : public ByteSink {
 public:
  ContentSink(HttpExchange& ex, int status, Headers headers) : ex_(ex), status_(status), headers_(std::move(headers)) {}
  Task<Status> begin(uint64_t range_size, uint64_t, const std::string&, const std::string&) override {
    started_ = true;
    std::optional<uint64_t> length = range_size;
    co_return co_await ex_.begin(status_, std::move(headers_), length);
  }
  Task<Status> write(std::span<const char> data) override { co_return co_await ex_.write(data); }
  bool started() const { return started_; }

 private:
  HttpExchange& ex_;
  int status_;
  Headers headers_;
  bool started_ = false;
};

}  // namespace

bool if_none_match_hits(std::string_view header, std::string_view etag) {
  header = trim(header);
  if (header.empty()) return false;
  if (header == "*") return true;
  if (etag.empty()) return false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"' && tag.substr(1, tag.size() - 2) == etag)
      return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool if_range_matches(std::string_view header, std::string_view etag) {
  header = trim(header);
  return !etag.empty() && header.size() == etag.size() + 2 && header.front() == '"' && header.back() == '"' &&
         header.substr(1, etag.size()) == etag;
}

bool serves_from_first_byte(const Request& req, const ContentTarget& t) {
  if (req.method != "GET" || if_none_match_hits(req.header("if-none-match"), t.etag)) return false;
  bool range_applies = !req.has_header("if-range") || if_range_matches(req.header("if-range"), t.etag);
  ParsedRange range = range_applies ? parse_range_header(req.header("range"), t.size) : ParsedRange{};
  if (range.kind == RangeKind::unsatisfiable) return false;
  return range.kind == RangeKind::whole || range.range.first == 0;
}

Task<void> serve_content(HttpExchange& ex, ObjectStore& store, ContentTarget t) {
  const Request& req = ex.request();
  if (if_none_match_hits(req.header("if-none-match"), t.etag)) {
    Response r;
    r.status = 304;
    for (auto& [k, v] : validator_headers(t)) r.header(k, v);
    (void)co_await ex.respond(std::move(r));
    co_return;
  }
  // If-Range: the Range applies only to the representation the client already holds part of.
  bool range_applies = !req.has_header("if-range") || if_range_matches(req.header("if-range"), t.etag);
  ParsedRange range = range_applies ? parse_range_header(req.header("range"), t.size) : ParsedRange{};
  if (range.kind == RangeKind::unsatisfiable) {
    ApiError e(416, "range_not_satisfiable",
               "requested range is outside the file's " + std::to_string(t.size) + " bytes");
    e.with_header("Content-Range", "bytes */" + std::to_string(t.size));
    e.with_header("X-Content-Type-Options", "nosniff");
    co_return co_await respond_api_error(ex, std::move(e));
  }
  bool partial = range.kind == RangeKind::partial;
  uint64_t first = partial ? range.range.first : 0;
  uint64_t length = partial ? range.range.last.value_or(t.size - 1) - first + 1 : t.size;
  int status = partial ? 206 : 200;
  Headers h = content_headers(t, partial, first, length);
  if (req.method == "HEAD") {
    // Everything HEAD answers is known already: the object's bytes are not touched.
    std::optional<uint64_t> declared = length;
    auto began = co_await ex.begin(status, std::move(h), declared);
    if (began.ok()) (void)co_await ex.end();
    co_return;
  }
  ContentSink sink(ex, status, std::move(h));
  std::optional<ByteRange> r;
  if (partial) r = range.range;
  auto got = co_await store.get(t.key, r, sink);
  if (!got.ok()) {
    if (!sink.started()) co_return co_await respond_api_error(ex, api_error_from(got.error()));
    ex.close_after();  // the head is out: the only honest signal left is cutting the response short
    co_return;
  }
  if (sink.started()) (void)co_await ex.end();
}

}  // namespace sluice
