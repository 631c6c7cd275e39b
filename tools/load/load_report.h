// LoadReport: turns the summed LoadStats of a run into the text table a person reads or the one
// JSON object scripts read (--json): throughput, latency percentiles per phase, errors.
#pragma once

#include <string>

#include "core/clock.h"
#include "tools/load/load_options.h"
#include "tools/load/load_stats.h"

namespace sluice::load {

struct RunInfo {
  unsigned threads = 0;
  uint64_t nofile_limit = 0;
  std::string run_id;
};

std::string format_text_report(const LoadOptions& o, const RunInfo& run, const LoadStats& s);
std::string format_json_report(const LoadOptions& o, const RunInfo& run, const LoadStats& s);
// Seconds from the first start to the last completion (at least 1 us).
double elapsed_seconds(const LoadStats& s);

}  // namespace sluice::load
