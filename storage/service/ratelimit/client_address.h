// The client address a request is limited by. Behind a load balancer the TCP peer is the proxy;
// the client is then taken from X-Forwarded-For (or Forwarded: for=) but only when the peer is
// one of the configured trusted proxies (SLUICE_TRUSTED_PROXIES, a comma-separated CIDR list),
// and only the rightmost address no trusted proxy added: a client cannot pick its own address
// by sending the header itself.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice {

class TrustedProxies {
 public:
  // "10.0.0.0/8, 192.168.1.7, ::1/128"; empty: no proxy is trusted.
  static Result<TrustedProxies> parse(std::string_view list);
  bool contains(std::string_view ip) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    std::array<uint8_t, 16> addr{};  // IPv4 as ::ffff:a.b.c.d
    unsigned bits = 0;
  };
  std::vector<Net> nets_;
};

// The address to limit: `peer` unless it is a trusted proxy, else from the forwarding headers.
std::string client_address(const std::string& peer, std::string_view x_forwarded_for, std::string_view forwarded,
                           const TrustedProxies& trusted);

}  // namespace sluice
