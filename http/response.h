// Response: a complete HTTP response (status, headers, body) built by a handler; also the
// JSON error shape every refusal uses: {"error":{"code":..,"message":..,"details":{..}}}.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response json(int status, std::string body);
  // `details_json` is a serialized JSON object or empty.
  static Response error(int status, std::string_view code, std::string_view message,
                        std::string_view details_json = {});
};

std::string_view status_reason(int status);
// Machine-readable error code for a status when the caller has none more specific.
std::string_view default_error_code(int status);

}  // namespace sluice
