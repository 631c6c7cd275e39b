// ServerConfig: everything `sluice serve` can be told, from SLUICE_* environment variables
// overridden by --flags, validated at start with one-line reasons.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "http/server_options.h"
#include "storage/service/service_config.h"

namespace sluice {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  // HTTPS beside HTTP: empty tls_listen means no TLS listener.
  std::string tls_listen;
  std::string tls_cert;
  std::string tls_key;
  unsigned cores = 0;  // 0: every core this process may use
  Duration drain_timeout = std::chrono::seconds(30);
  Duration shutdown_delay = Duration::zero();  // SIGTERM -> readiness 503, still serving, then drain
  std::string log_level = "info";
  ServerOptions http;
  ReactorOptions reactor;
  ServiceConfig service;
};

// Applies environment variables, then `args` (flags after the subcommand). Errors name the flag
// or variable and the bad value. `--help` yields Errc::cancelled with the usage text as message.
Result<ServerConfig> parse_server_config(const std::vector<std::string>& args);

// For the one-shot commands (janitor, thumbnailer): serve's flags plus `--once`, reported in
// *once. On --help or a bad flag it prints the usage or the error itself and returns nullopt with
// the process's exit code (0 or 2) in *exit_code.
std::optional<ServerConfig> parse_command_config(const char* command, const char* usage,
                                                 const std::vector<std::string>& args, bool* once, int* exit_code);

}  // namespace sluice
