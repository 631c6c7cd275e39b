#include "db/redis_options.h"

#include <charconv>

namespace sluice {

namespace {

Error bad_url(std::string_view why) { return Error(Errc::invalid_argument, "invalid Redis URL: " + std::string(why)); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return bad_url("truncated %-escape in credentials");
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return bad_url("bad %-escape in credentials");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

Result<RedisOptions> RedisOptions::parse_url(std::string_view url) {
  RedisOptions o;
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) return bad_url("must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = cred.find(':');
    auto user = percent_decode(cred.substr(0, colon));
    if (!user) return std::move(user).error();
    if (colon == std::string_view::npos) {
      // "redis://secret@host": a bare credential is the password (as redis-cli reads it).
      o.password = std::move(*user);
    } else {
      auto pass = percent_decode(cred.substr(colon + 1));
      if (!pass) return std::move(pass).error();
      o.user = std::move(*user);
      o.password = std::move(*pass);
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url("junk after [IPv6] host");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad_url("missing host");
  o.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535) return bad_url("bad port");
    o.port = static_cast<uint16_t>(v);
  }
  if (!path.empty()) {
    int db = 0;
    auto [p, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || p != path.data() + path.size() || db < 0) return bad_url("database must be a number");
    o.db = db;
  }
  return o;
}

Result<RedisOptions> RedisOptions::from_url(std::string_view url) {
  auto o = parse_url(url);
  if (!o) return o;
  auto addr = SocketAddress::from_ip(o->host, o->port);
  if (!addr) addr = SocketAddress::resolve(o->host, o->port);
  if (!addr) return std::move(addr).error();
  o->address = *addr;
  return o;
}

}  // namespace sluice
