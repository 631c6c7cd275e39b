// `sluice token --sub u1 --role user [--tier free] [--ttl 3600]`: mints a development JWT
// (HS256) with the configured SLUICE_JWT_SECRET, for curl and the load generator.
#pragma once

#include <string>
#include <vector>

namespace sluice {

int run_token_command(const std::vector<std::string>& args);

}  // namespace sluice
