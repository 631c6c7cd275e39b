// Health endpoints: GET /health says the process is up and serving (liveness).
#pragma once

#include <cstdint>
#include <string>

#include "http/router.h"

namespace sluice {

struct HealthInfo {
  std::string version;
  unsigned cores = 1;
  int64_t started_unix = 0;
};

void add_health_routes(Router& router, HealthInfo info);

}  // namespace sluice
