#include "tools/load/load_stats.h"

#include <algorithm>
#include <cerrno>
#include <string>

namespace sluice::load {

std::string_view failure_name(FailureKind k) {
  switch (k) {
    case FailureKind::connect: return "connect";
    case FailureKind::timeout: return "timeout";
    case FailureKind::reset: return "reset";
    case FailureKind::closed: return "closed";
    case FailureKind::protocol: return "protocol";
    case FailureKind::status: return "status";
    case FailureKind::verify: return "verify";
  }
  return "?";
}

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::upload: return "upload";
    case Phase::admission: return "admission";
    case Phase::commit: return "commit";
    case Phase::connect: return "connect";
    case Phase::initiate: return "initiate";
    case Phase::part: return "part";
    case Phase::complete: return "complete";
    case Phase::request: return "request";
    case Phase::verify: return "verify";
  }
  return "?";
}

FailureKind classify(const Error& e) {
  if (e.code == Errc::timeout) return FailureKind::timeout;
  if (e.code == Errc::protocol_error || e.code == Errc::invalid_argument) return FailureKind::protocol;
  if (e.detail == std::to_string(ECONNRESET) || e.detail == std::to_string(EPIPE) ||
      e.detail == std::to_string(ECONNABORTED))
    return FailureKind::reset;
  return FailureKind::closed;
}

void LoadStats::record(Phase p, Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  at(p).record(us > 0 ? static_cast<uint64_t>(us) : 0);
}

void LoadStats::fail(FailureKind k, std::string_view message) {
  auto i = static_cast<size_t>(k);
  if (failures[i]++ == 0) failure_example[i] = std::string(message.substr(0, 300));
}

LoadStats& LoadStats::operator+=(const LoadStats& o) {
  for (size_t i = 0; i < kPhases; ++i) latency[i] += o.latency[i];
  started += o.started;
  succeeded += o.succeeded;
  failed += o.failed;
  file_bytes_ok += o.file_bytes_ok;
  wire_bytes_sent += o.wire_bytes_sent;
  continue_timeouts += o.continue_timeouts;
  connections += o.connections;
  late_starts += o.late_starts;
  verified += o.verified;
  retries += o.retries;
  for (size_t i = 0; i < kFailureKinds; ++i) {
    if (failures[i] == 0 && o.failures[i] != 0) failure_example[i] = o.failure_example[i];
    failures[i] += o.failures[i];
  }
  for (auto [status, n] : o.statuses) statuses[status] += n;
  acked.insert(acked.end(), o.acked.begin(), o.acked.end());
  first_start = std::min(first_start, o.first_start);
  last_end = std::max(last_end, o.last_end);
  return *this;
}

}  // namespace sluice::load
