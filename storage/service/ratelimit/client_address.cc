#include "storage/service/ratelimit/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace sluice {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped), or nullopt.
std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> a{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a[10] = 0xff;
    a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

// One Forwarded/X-Forwarded-For node as a bare address: quotes, [brackets] and :port removed.
std::string_view bare_node(std::string_view n) {
  n = trim(n);
  if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
  if (!n.empty() && n.front() == '[') {
    size_t close = n.find(']');
    return close == std::string_view::npos ? std::string_view() : n.substr(1, close - 1);
  }
  if (std::count(n.begin(), n.end(), ':') == 1) n = n.substr(0, n.find(':'));  // IPv4:port
  return n;
}

// The nodes of X-Forwarded-For, or of Forwarded's for= parameters, left to right.
std::vector<std::string_view> forwarded_nodes(std::string_view xff, std::string_view forwarded) {
  std::vector<std::string_view> out;
  if (!xff.empty()) {
    while (!xff.empty()) {
      size_t comma = xff.find(',');
      out.push_back(bare_node(xff.substr(0, comma)));
      xff = comma == std::string_view::npos ? std::string_view() : xff.substr(comma + 1);
    }
    return out;
  }
  while (!forwarded.empty()) {
    size_t sep = forwarded.find_first_of(",;");
    std::string_view pair = trim(forwarded.substr(0, sep));
    if (pair.size() > 4 && (pair.substr(0, 4) == "for=" || pair.substr(0, 4) == "For=" || pair.substr(0, 4) == "FOR="))
      out.push_back(bare_node(pair.substr(4)));
    forwarded = sep == std::string_view::npos ? std::string_view() : forwarded.substr(sep + 1);
  }
  return out;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies t;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    size_t slash = item.find('/');
    auto ip = parse_ip(item.substr(0, slash));
    if (!ip) return Error(Errc::invalid_argument, "not an IP address or CIDR: '" + std::string(item) + "'");
    bool v4 = (*ip)[10] == 0xff && (*ip)[11] == 0xff && item.find(':') == std::string_view::npos;
    unsigned bits = 128;
    if (slash != std::string_view::npos) {
      std::string_view b = item.substr(slash + 1);
      unsigned n = 0;
      if (b.empty() || b.size() > 3)
        return Error(Errc::invalid_argument, "bad prefix length in '" + std::string(item) + "'");
      for (char c : b) {
        if (c < '0' || c > '9')
          return Error(Errc::invalid_argument, "bad prefix length in '" + std::string(item) + "'");
        n = n * 10 + static_cast<unsigned>(c - '0');
      }
      if (n > (v4 ? 32u : 128u)) return Error(Errc::invalid_argument, "prefix too long in '" + std::string(item) + "'");
      bits = v4 ? 96 + n : n;
    }
    t.nets_.push_back(Net{*ip, bits});
  }
  return t;
}

bool TrustedProxies::contains(std::string_view ip) const {
  auto a = parse_ip(ip);
  if (!a) return false;
  for (const Net& n : nets_) {
    unsigned full = n.bits / 8, rest = n.bits % 8;
    if (std::memcmp(a->data(), n.addr.data(), full) != 0) continue;
    if (rest) {
      uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if (((*a)[full] & mask) != (n.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string client_address(const std::string& peer, std::string_view x_forwarded_for, std::string_view forwarded,
                           const TrustedProxies& trusted) {
  if (trusted.empty() || !trusted.contains(peer)) return peer;
  std::vector<std::string_view> nodes = forwarded_nodes(x_forwarded_for, forwarded);
  // From the right: the first address no trusted proxy stands for is the client.
  for (size_t i = nodes.size(); i-- > 0;) {
    if (!parse_ip(nodes[i])) break;  // garbage (or "unknown"): stop trusting what is left of it
    if (!trusted.contains(nodes[i])) return std::string(nodes[i]);
    if (i == 0) return std::string(nodes[0]);  // every hop is a trusted proxy: the first is the client
  }
  return peer;
}

}  // namespace sluice
