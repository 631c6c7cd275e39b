// `sluice serve`: starts one reactor per core, each with its HTTP server, and drains them on
// SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

namespace sluice {

int run_serve_command(const std::vector<std::string>& args);

}  // namespace sluice
