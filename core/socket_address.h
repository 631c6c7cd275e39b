// SocketAddress: a numeric IPv4/IPv6 address and port, parsed from "host:port" or "[v6]:port".
// Names are resolved once at start-up (resolve()), never on a reactor thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

class SocketAddress {
 public:
  SocketAddress() = default;
  static Result<SocketAddress> parse(std::string_view host_port);
  static Result<SocketAddress> from_ip(std::string_view ip, uint16_t port);
  // Blocking DNS lookup: start-up only.
  static Result<SocketAddress> resolve(const std::string& host, uint16_t port);
  static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return len_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace sluice
