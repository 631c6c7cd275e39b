// `sluice`: one executable, one subcommand per job (serve, migrate, token, ...).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "db/migrate_command.h"
#include "tools/janitor_command.h"
#include "tools/rekey_command.h"
#include "tools/relay_command.h"
#include "tools/thumbnailer_command.h"
#include "tools/serve_command.h"
#include "tools/token_command.h"
#include "tools/version.h"

namespace {
void print_usage(FILE* out) {
  std::fprintf(out,
               "usage: sluice <command> [flags]\n\n"
               "commands:\n"
               "  serve     run the HTTP API server (sluice serve --help)\n"
               "  migrate   apply database migrations (uses SLUICE_PG_URL)\n"
               "  janitor   repair leftovers of crashes and abandoned uploads once (sluice janitor --once)\n"
               "  rekey     rewrap the local store's data keys under the current master key after a rotation\n"
               "  relay     publish the event outbox to NATS JetStream (sluice relay; one per cluster is active)\n"
               "  thumbnailer  make thumbnails of image uploads (sluice thumbnailer [--once]; any number may run)\n"
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
  if (cmd == "janitor") return sluice::run_janitor_command(args);
  if (cmd == "rekey") return sluice::run_rekey_command(args);
  if (cmd == "relay") return sluice::run_relay_command(args);
  if (cmd == "thumbnailer") return sluice::run_thumbnailer_command(args);
  if (cmd == "migrate") {
    const char* url = std::getenv("SLUICE_PG_URL");
    if (!args.empty() && args[0].rfind("--pg-url=", 0) == 0) url = args[0].c_str() + 9;
    if (!url || !*url) {
      std::fprintf(stderr, "sluice migrate: set SLUICE_PG_URL (or --pg-url=postgresql://...)\n");
      return 2;
    }
    return sluice::run_migrate_command(url);
  }
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
