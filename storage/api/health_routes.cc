#include "storage/api/health_routes.h"

#include <ctime>

#include "http/http_exchange.h"
#include "http/json_writer.h"

namespace sluice {

namespace {
Task<void> health(HttpExchange& ex, HealthInfo info) {
  std::string body;
  http::JsonWriter w(body);
  w.begin_object();
  w.key("status").string("ok");
  w.key("version").string(info.version);
  w.key("cores").uint64(info.cores);
  w.key("uptime_s").int64(static_cast<int64_t>(time(nullptr)) - info.started_unix);
  w.end_object();
  (void)co_await ex.respond(Response::json(200, std::move(body)));
}
}  // namespace

void add_health_routes(Router& router, HealthInfo info) {
  router.add("GET", "/health", [info](HttpExchange& ex) { return health(ex, info); });
}

}  // namespace sluice
