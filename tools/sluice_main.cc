// `sluice`: one executable, one subcommand per job (serve, migrate, token, ...).
#include <cstdio>
#include <string>
#include <vector>

#include "tools/serve_command.h"
#include "tools/token_command.h"
#include "tools/version.h"

namespace {
void print_usage(FILE* out) {
  std::fprintf(out,
               "usage: sluice <command> [flags]\n\n"
               "commands:\n"
               "  serve     run the HTTP API server (sluice serve --help)\n"
               "  token     mint a development JWT (sluice token --sub u1 --role user)\n"
               "  version   print the version\n"
               "  help      print this text\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "serve") return sluice::run_serve_command(args);
  if (cmd == "token") return sluice::run_token_command(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("sluice %s\n", sluice::kSluiceVersion);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    print_usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "sluice: unknown command '%s'\n", cmd.c_str());
  print_usage(stderr);
  return 2;
}
