// `sluice relay`: runs the event relay alone (no HTTP), with the configuration `sluice serve`
// reads (same SLUICE_* variables and flags): publishes the outbox to NATS JetStream while it
// holds the cluster-wide lock, stands by otherwise, until SIGINT or SIGTERM.
#pragma once

#include <string>
#include <vector>

namespace sluice {

// Exit codes: 0 stopped by a signal, 2 bad usage.
int run_relay_command(const std::vector<std::string>& args);

}  // namespace sluice
