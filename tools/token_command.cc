#include "tools/token_command.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "storage/service/auth/jwt.h"

namespace sluice {

int run_token_command(const std::vector<std::string>& args) {
  auth::Claims claims;
  int64_t ttl = 3600;
  std::string issuer = std::getenv("SLUICE_JWT_ISSUER") ? std::getenv("SLUICE_JWT_ISSUER") : "";
  std::string audience = std::getenv("SLUICE_JWT_AUDIENCE") ? std::getenv("SLUICE_JWT_AUDIENCE") : "";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: sluice token --sub USER [--role user|admin|root] [--tier NAME] [--ttl SECONDS]\n"
                  "signs with SLUICE_JWT_SECRET (HS256)\n");
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "sluice token: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--sub") {
      claims.sub = v;
    } else if (a == "--role") {
      if (v == "user") claims.role = auth::Role::user;
      else if (v == "admin") claims.role = auth::Role::admin;
      else if (v == "root") claims.role = auth::Role::root;
      else {
        std::fprintf(stderr, "sluice token: --role must be user, admin or root\n");
        return 2;
      }
    } else if (a == "--tier") {
      claims.tier = v;
    } else if (a == "--ttl") {
      char* end = nullptr;
      ttl = std::strtoll(v.c_str(), &end, 10);
      if (!end || *end != '\0' || ttl <= 0) {
        std::fprintf(stderr, "sluice token: --ttl must be a positive number of seconds\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "sluice token: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (claims.sub.empty()) {
    std::fprintf(stderr, "sluice token: --sub is required\n");
    return 2;
  }
  const char* secret = std::getenv("SLUICE_JWT_SECRET");
  if (!secret || std::string(secret).size() < auth::JwtVerifier::kMinHs256SecretBytes) {
    std::fprintf(stderr, "sluice token: SLUICE_JWT_SECRET must be set to at least %zu bytes\n",
                 auth::JwtVerifier::kMinHs256SecretBytes);
    return 2;
  }
  std::printf("%s\n", auth::mint_hs256(claims, secret, static_cast<int64_t>(time(nullptr)), ttl, issuer, audience).c_str());
  return 0;
}

}  // namespace sluice
