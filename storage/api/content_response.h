// Serving a file's bytes over HTTP, the same way on every content route (owner content, public
// content, local signed downloads): a strong ETag, If-None-Match -> 304, If-Range, Range ->
// 206/416, HEAD without touching the object, Cache-Control, the given Content-Disposition and
// always X-Content-Type-Options: nosniff (no browser second-guesses the declared type).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/task.h"
#include "http/http_exchange.h"
#include "storage/store/object_store.h"

namespace sluice {

// What a content response serves: the object and the facts its headers state.
struct ContentTarget {
  std::string key;  // the object in the store
  uint64_t size = 0;
  std::string etag;          // without quotes; empty: no validator (no 304, If-Range never matches)
  std::string content_type;  // empty: application/octet-stream
  std::string disposition;   // the Content-Disposition value; empty: none
  std::string cache_control;
};

// Answers the request in `ex` (GET or HEAD) for `t`, streaming from `store`.
Task<void> serve_content(HttpExchange& ex, ObjectStore& store, ContentTarget t);

// Whether serve_content answers `req` with the content from its first byte: a GET that gets a
// 200, or a 206 whose range starts at 0 (not HEAD, a 304, a 416 or a later range). Share links
// count a download exactly then.
bool serves_from_first_byte(const Request& req, const ContentTarget& t);

// Whether an If-None-Match value (a list of entity tags, or "*") matches `etag` by the weak
// comparison (RFC 9110 §13.1.2: W/ prefixes ignored).
bool if_none_match_hits(std::string_view header, std::string_view etag);
// Whether an If-Range value lets a Range apply: only a strong entity tag equal to `etag` (a date
// or a weak tag never matches: this store keeps no modification date to compare).
bool if_range_matches(std::string_view header, std::string_view etag);

}  // namespace sluice
