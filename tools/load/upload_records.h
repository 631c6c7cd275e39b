// The --records file of sluice-load: one acknowledged upload per line, "id size user fnv1a64"
// (the checksum of the pattern bytes the file holds, for tools that read the file back
// themselves), written after an upload run and read by `--mode check`.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "tools/load/load_stats.h"

namespace sluice::load {

Status write_upload_records(const std::string& path, const std::vector<AckedUpload>& uploads);
// Errc::invalid_argument naming the line that is not "id size user checksum".
Result<std::vector<AckedUpload>> read_upload_records(const std::string& path);

}  // namespace sluice::load
