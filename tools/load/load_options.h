// LoadOptions: everything `sluice-load` is told on its command line, parsed and checked before
// any thread starts (the only place the tool may refuse to run).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "tools/load/size_distribution.h"

namespace sluice::load {

enum class LoadMode { put, form, multipart, get, check };
std::string_view mode_name(LoadMode m);

struct LoadOptions {
  std::string url;              // http://host:port (no path; see `path`)
  std::string host;             // from url
  uint16_t port = 80;
  LoadMode mode = LoadMode::put;
  std::string path;             // request path; defaults per mode
  std::string query;            // put: "path=/load&name=f{run}-{n}"; {n}, {run}, {user} expand
  std::string upload_path = "/load";  // the virtual folder files go to
  unsigned concurrency = 100;
  unsigned threads = 0;         // 0: one per available core
  SizeDistribution sizes = SizeDistribution::fixed(1 << 20);
  unsigned users = 100;
  std::string jwt_secret;       // empty with no_auth
  bool no_auth = false;
  Duration duration = std::chrono::seconds(0);  // 0: until count (default 10 s when neither)
  uint64_t count = 0;           // 0: until duration
  double rate = 0;              // uploads (or GETs) started per second; 0: closed loop
  bool poisson = true;          // open-loop arrivals: exponential gaps, else fixed spacing
  double verify_sample = 0;     // fraction of successes read back and compared
  std::string verify_path = "/v1/files/{id}/content";
  // Upload modes: where the acknowledged uploads are written (id, size, user, checksum per
  // line); check mode: the file read back, every upload in it compared byte for byte.
  std::string records_path;
  std::set<int> expect_status = {200, 201};
  bool expect_continue = false;
  Duration continue_timeout = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(60);  // per send/receive step
  std::vector<std::string> headers;  // extra "Name: value" lines
  size_t send_batch = 256 * 1024;    // bytes per sendmsg
  bool json = false;
  bool quiet = false;
  bool pin = false;

  bool closed_loop() const { return rate <= 0; }
};

// Parses argv (without the program name). `env_secret` is SLUICE_JWT_SECRET or empty.
// Errc::invalid_argument with a message naming the flag; Errc::cancelled for --help.
Result<LoadOptions> parse_load_options(const std::vector<std::string>& args, std::string_view env_secret);
// "30s", "500ms", "2m", "1h", "1.5s"; a bare number means seconds.
Result<Duration> parse_duration(std::string_view text);
std::string load_usage();

}  // namespace sluice::load
