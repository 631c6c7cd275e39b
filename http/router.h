// Router: maps method + path pattern ("/v1/files/{id}") to a handler and per-route options.
// A path that matches no pattern is 404; one that matches with another method is 405 + Allow.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.h"

namespace sluice {

class HttpExchange;
using Handler = std::function<Task<void>(HttpExchange&)>;

struct RouteOptions {
  uint64_t max_body_bytes = 1 << 20;  // request bodies above this get 413
};

class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;
    const RouteOptions* options = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // for 405: the methods the path does accept
  };

  void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
  // Routes added after this call get their handler through `wrap` (method, pattern, handler):
  // one place for a concern every route shares, such as the audit log.
  using Wrapper = std::function<Handler(const std::string& method, const std::string& pattern, Handler)>;
  void set_wrapper(Wrapper wrap) { wrap_ = std::move(wrap); }
  // handler == nullptr and allow empty: 404; handler == nullptr and allow set: 405.
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" is a parameter
    Handler handler;
    RouteOptions options;
  };
  static bool match_segments(const Route& r, std::string_view path,
                             std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Route> routes_;
  Wrapper wrap_;
};

}  // namespace sluice
