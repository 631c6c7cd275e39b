// Request: the parsed head of one HTTP/1.1 request (method, target, headers, framing facts),
// plus the path parameters the router extracted. Its size is bounded by the parser's limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

class Request {
 public:
  std::string method;
  std::string target;  // raw request-target as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;
  bool expect_continue = false;
  std::vector<std::pair<std::string, std::string>> params;  // router path parameters, decoded
  std::string request_id;
  // Facts a handler leaves for whoever wrapped it (Router::set_wrapper), e.g. who the caller
  // turned out to be, for the audit log; cleared with the request.
  std::vector<std::pair<std::string, std::string>> notes;

  std::string_view path() const;
  // The value of the first note named `name`; empty when absent.
  std::string_view note(std::string_view name) const;
  std::string_view query() const;
  // First value of a query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // First header with this name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::string_view param(std::string_view name) const;
  bool has_body() const { return chunked || (content_length && *content_length > 0); }
  void clear();
};

bool iequals(std::string_view a, std::string_view b);
// Percent-decodes `s` ('+' as space when `plus_as_space`); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

}  // namespace sluice
