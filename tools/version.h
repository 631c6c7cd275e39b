// The version `sluice` reports (GET /health, logs).
#pragma once

namespace sluice {
inline constexpr const char* kSluiceVersion = "0.1.0";
}
