#include "tools/load/upload_records.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/load/body_pattern.h"

namespace sluice::load {

Status write_upload_records(const std::string& path, const std::vector<AckedUpload>& uploads) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return errno_error("open " + path, -errno);
  const BodyPattern& pattern = BodyPattern::instance();
  for (const AckedUpload& u : uploads)
    std::fprintf(f, "%s %" PRIu64 " %u %016" PRIx64 "\n", u.id.c_str(), u.size, u.user, pattern.checksum(u.size));
  if (std::fclose(f) != 0) return errno_error("write " + path, -errno);
  return {};
}

Result<std::vector<AckedUpload>> read_upload_records(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Errc::not_found, "cannot read " + path);
  std::vector<AckedUpload> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    AckedUpload u;
    std::string checksum;
    if (!(fields >> u.id >> u.size >> u.user >> checksum) || u.id.empty())
      return Error(Errc::invalid_argument, path + ":" + std::to_string(n) + ": expected 'id size user checksum'");
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace sluice::load
