// ApiError: the one place where failures become HTTP: a status, a machine-readable code, a
// message a person can act on, optional JSON details and extra headers (Retry-After,
// WWW-Authenticate). Every refusal of the API goes through it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/response.h"

namespace sluice {

struct ApiError {
  int status = 500;
  std::string code = "internal";
  std::string message;
  std::string details_json;  // a JSON object, or empty
  std::vector<std::pair<std::string, std::string>> headers;
  // What went wrong in words the client must not see (a database's own message): logged with
  // the request id when this error is answered, never sent.
  std::string log_detail;

  ApiError() = default;
  ApiError(int s, std::string c, std::string m) : status(s), code(std::move(c)), message(std::move(m)) {}
  ApiError& with_details(std::string json) {
    details_json = std::move(json);
    return *this;
  }
  ApiError& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Response to_response() const;
};

// The status and code for an internal Error that reached the API without a more specific
// translation (e.g. a dependency failure): 503 for unavailable/timeout, 404 for not_found...
// An Error with a public_message answers that, and keeps its message for the log only.
// A service Error with a reason (storage/service/domain_error.h) maps through one table to its
// status and code, with its details and Retry-After.
ApiError api_error_from(const Error& e);

// A failure reading the request body, which is the client's doing: 408 (too slow, idle), 413
// (over the body limit), 400 (malformed), or 400 client_disconnected. Routes use it when the
// body source kept a client error, whatever the store then said.
ApiError body_api_error(const Error& e);

}  // namespace sluice
