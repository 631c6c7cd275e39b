#include "core/socket_address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>

namespace sluice {

Result<SocketAddress> SocketAddress::from_ip(std::string_view ip, uint16_t port) {
  SocketAddress a;
  std::string host(ip);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
    return a;
  }
  return Error(Errc::invalid_argument, "not a numeric IP address: '" + host + "'");
}

Result<SocketAddress> SocketAddress::parse(std::string_view hp) {
  std::string_view host, port;
  if (!hp.empty() && hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':')
      return Error(Errc::invalid_argument, "expected [ipv6]:port, got '" + std::string(hp) + "'");
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    auto colon = hp.rfind(':');
    if (colon == std::string_view::npos)
      return Error(Errc::invalid_argument, "expected host:port, got '" + std::string(hp) + "'");
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535)
    return Error(Errc::invalid_argument, "bad port in '" + std::string(hp) + "'");
  if (host == "localhost") host = "127.0.0.1";
  return from_ip(host, static_cast<uint16_t>(p));
}

Result<SocketAddress> SocketAddress::resolve(const std::string& host, uint16_t port) {
  auto direct = from_ip(host, port);
  if (direct) return direct;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) return Error(Errc::unavailable, "cannot resolve '" + host + "': " + gai_strerror(rc));
  SocketAddress a = from_sockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (a.family() == AF_INET) reinterpret_cast<sockaddr_in*>(&a.storage_)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_port = htons(port);
  return a;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  std::memcpy(&a.storage_, sa, std::min<size_t>(len, sizeof(a.storage_)));
  a.len_ = len;
  return a;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  return "?";
}

}  // namespace sluice
