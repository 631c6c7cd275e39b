// LoadStats: what one reactor thread measured (latency histograms per phase, counters, errors
// by kind and by status); each thread fills its own and the main thread sums them with += after
// the threads have joined.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "tools/load/latency_histogram.h"

namespace sluice::load {

enum class FailureKind : uint8_t {
  connect,   // could not connect
  timeout,   // a send or receive step passed --timeout
  reset,     // connection reset / broken pipe
  closed,    // the peer closed before a complete response
  protocol,  // a response we could not parse, or a reply missing what the next step needs
  status,    // a complete response with a status outside --expect-status
  verify,    // the read-back differed from what was sent
};
inline constexpr size_t kFailureKinds = 7;
std::string_view failure_name(FailureKind k);
// Maps a transport error to its kind (timeout, reset, closed, protocol).
FailureKind classify(const Error& e);

enum class Phase : uint8_t {
  upload,     // whole upload (multipart: initiate + parts + complete), from its (intended) start
  admission,  // request head sent -> first response byte (100 Continue or final), --expect-continue
  commit,     // last body byte sent -> first byte of the final response
  connect,    // TCP connect
  initiate,   // multipart: POST /v1/uploads
  part,       // multipart: one part PUT
  complete,   // multipart: POST .../complete
  request,    // get mode: one GET
  verify,     // read-back GET of a sampled upload
};
inline constexpr size_t kPhases = 9;
std::string_view phase_name(Phase p);

// One upload the server acknowledged (2xx with the file's JSON): what --records lists.
struct AckedUpload {
  std::string id;
  uint64_t size = 0;
  unsigned user = 0;
};

struct LoadStats {
  std::array<LatencyHistogram, kPhases> latency{};
  uint64_t started = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint64_t file_bytes_ok = 0;     // file bytes of successful uploads
  uint64_t wire_bytes_sent = 0;   // request bytes written, heads and framing included
  uint64_t continue_timeouts = 0; // no 100 Continue within --continue-timeout; body sent anyway
  uint64_t connections = 0;       // connections opened
  uint64_t late_starts = 0;       // open loop: a start waited for a free slot (concurrency cap)
  uint64_t verified = 0;
  uint64_t retries = 0;           // requests re-sent once on a fresh connection after a reused one died
  std::array<uint64_t, kFailureKinds> failures{};
  std::array<std::string, kFailureKinds> failure_example{};  // the first message of each kind
  std::map<int, uint64_t> statuses;  // final statuses of completed exchanges, good or bad
  std::vector<AckedUpload> acked;    // with --records in an upload mode
  Deadline first_start = Deadline::max();
  Deadline last_end = Deadline::min();

  LatencyHistogram& at(Phase p) { return latency[static_cast<size_t>(p)]; }
  const LatencyHistogram& at(Phase p) const { return latency[static_cast<size_t>(p)]; }
  void record(Phase p, Duration d);
  void fail(FailureKind k, std::string_view message);

  LoadStats& operator+=(const LoadStats& o);
};

}  // namespace sluice::load
