#include "tools/load/load_options.h"

#include <charconv>
#include <cmath>

namespace sluice::load {

std::string_view mode_name(LoadMode m) {
  switch (m) {
    case LoadMode::put: return "put";
    case LoadMode::form: return "form";
    case LoadMode::multipart: return "multipart";
    case LoadMode::get: return "get";
    case LoadMode::check: return "check";
  }
  return "?";
}

std::string load_usage() {
  return R"(usage: sluice-load --url http://HOST:PORT [flags]

  --mode put|form|multipart|get  put: PUT {path}?{query} with Content-Length (default)
                                 form: multipart/form-data POST with a path field and one file
                                 multipart: POST /v1/uploads, PUT parts, POST complete
                                 get: GET {path} (metadata calls; use with --rate)
  --mode check         read back every upload listed in --records and compare it
  --path P             request path (default /v1/files/content, /v1/files, /v1/uploads)
  --query Q            put query (default path={upload-path}&name=f{run}-{n}; '' for none);
                       {n} upload number, {run} random run id, {user} user number
  --upload-path P      virtual folder for uploaded files (default /load)
  --concurrency N      uploads in flight (closed loop: connections; default 100)
  --threads N          reactor threads (default: available cores)
  --sizes SPEC         1MiB, or 1KiB:50%,1MiB:40%,64MiB:10% (default 1MiB)
  --duration D         stop starting uploads after D (30s, 500ms, 2m)
  --count N            stop after N uploads (default: 10s duration when neither is given)
  --rate R             open loop: start R uploads per second (default: closed loop)
  --arrival poisson|fixed   open-loop spacing (default poisson)
  --users N            JWTs for user-0..user-N-1 (default 100)
  --jwt-secret S       HS256 secret (default $SLUICE_JWT_SECRET)
  --no-auth            send no Authorization header (plain sinks, nginx)
  --expect-status L    statuses that count as success (default 200,201)
  --expect-continue    send Expect: 100-continue and measure admission latency
  --continue-timeout D how long to wait for 100 Continue before sending anyway (default 1s)
  --verify-sample F    read back this fraction of uploads (GET {verify-path}) and compare
  --verify-path P      default /v1/files/{id}/content ({id} from the upload's JSON reply)
  --records FILE       upload modes: write "id size user fnv1a64" per acknowledged upload;
                       check mode: the uploads to read back (--users/--count follow from it)
  --timeout D          per send/receive step (default 60s)
  --header 'N: v'      extra request header (repeatable)
  --send-batch SIZE    bytes per send call (default 256KiB)
  --pin                pin reactor threads to cores
  --json               print the report as one JSON object
  --quiet              no start-up line on stderr

SIGINT / SIGTERM: no new uploads start, those in flight finish, the report is printed.
)";
}

Result<Duration> parse_duration(std::string_view text) {
  std::string_view s = text;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !(v >= 0) || !std::isfinite(v))
    return Error(Errc::invalid_argument, "duration '" + std::string(text) + "' must be a number with s, ms, m or h");
  std::string_view unit = s.substr(static_cast<size_t>(end - s.data()));
  double seconds;
  if (unit.empty() || unit == "s") seconds = v;
  else if (unit == "ms") seconds = v / 1000;
  else if (unit == "us") seconds = v / 1e6;
  else if (unit == "m" || unit == "min") seconds = v * 60;
  else if (unit == "h") seconds = v * 3600;
  else return Error(Errc::invalid_argument, "duration '" + std::string(text) + "' has an unknown unit (s, ms, m, h)");
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

namespace {

template <class T>
Result<T> parse_number(const std::string& flag, const std::string& v) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size())
    return Error(Errc::invalid_argument, flag + " needs a number, not '" + v + "'");
  return out;
}

Status parse_url(LoadOptions& o) {
  std::string_view u = o.url;
  if (u.rfind("http://", 0) != 0) return Error(Errc::invalid_argument, "--url must start with http:// (no TLS)");
  u.remove_prefix(7);
  size_t slash = u.find('/');
  if (slash != std::string_view::npos) {
    if (u.substr(slash) != "/")
      return Error(Errc::invalid_argument, "--url takes no path (use --path): " + o.url);
    u = u.substr(0, slash);
  }
  size_t colon = u.rfind(':');
  if (colon == std::string_view::npos || (u.find(']') != std::string_view::npos && colon < u.find(']'))) {
    o.host = std::string(u);
    o.port = 80;
  } else {
    o.host = std::string(u.substr(0, colon));
    auto p = parse_number<uint16_t>("--url port", std::string(u.substr(colon + 1)));
    if (!p || *p == 0) return Error(Errc::invalid_argument, "--url has a bad port: " + o.url);
    o.port = *p;
  }
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  if (o.host.empty()) return Error(Errc::invalid_argument, "--url has no host: " + o.url);
  return Status();
}

}  // namespace

Result<LoadOptions> parse_load_options(const std::vector<std::string>& args, std::string_view env_secret) {
  LoadOptions o;
  bool path_set = false, query_set = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return Error(Errc::cancelled, "help");
    // Flags without a value.
    if (a == "--no-auth") { o.no_auth = true; continue; }
    if (a == "--expect-continue") { o.expect_continue = true; continue; }
    if (a == "--json") { o.json = true; continue; }
    if (a == "--quiet") { o.quiet = true; continue; }
    if (a == "--pin") { o.pin = true; continue; }
    if (a.rfind("--", 0) != 0) return Error(Errc::invalid_argument, "unexpected argument '" + a + "'");
    if (i + 1 >= args.size()) return Error(Errc::invalid_argument, a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--url") {
      o.url = v;
    } else if (a == "--mode") {
      if (v == "put") o.mode = LoadMode::put;
      else if (v == "form") o.mode = LoadMode::form;
      else if (v == "multipart") o.mode = LoadMode::multipart;
      else if (v == "get") o.mode = LoadMode::get;
      else if (v == "check") o.mode = LoadMode::check;
      else return Error(Errc::invalid_argument, "--mode must be put, form, multipart, get or check");
    } else if (a == "--path") {
      o.path = v;
      path_set = true;
    } else if (a == "--query") {
      o.query = v;
      query_set = true;
    } else if (a == "--upload-path") {
      o.upload_path = v;
    } else if (a == "--concurrency") {
      auto n = parse_number<unsigned>(a, v);
      if (!n || *n == 0) return Error(Errc::invalid_argument, "--concurrency must be a positive number");
      o.concurrency = *n;
    } else if (a == "--threads") {
      auto n = parse_number<unsigned>(a, v);
      if (!n || *n == 0 || *n > 256) return Error(Errc::invalid_argument, "--threads must be 1..256");
      o.threads = *n;
    } else if (a == "--sizes") {
      auto d = SizeDistribution::parse(v);
      if (!d) return Error(Errc::invalid_argument, "--sizes: " + d.error().message);
      o.sizes = std::move(*d);
    } else if (a == "--users") {
      auto n = parse_number<unsigned>(a, v);
      if (!n || *n == 0) return Error(Errc::invalid_argument, "--users must be a positive number");
      o.users = *n;
    } else if (a == "--jwt-secret") {
      o.jwt_secret = v;
    } else if (a == "--duration" || a == "--timeout" || a == "--continue-timeout") {
      auto d = parse_duration(v);
      if (!d) return Error(Errc::invalid_argument, a + ": " + d.error().message);
      (a == "--duration" ? o.duration : a == "--timeout" ? o.timeout : o.continue_timeout) = *d;
    } else if (a == "--count") {
      auto n = parse_number<uint64_t>(a, v);
      if (!n || *n == 0) return Error(Errc::invalid_argument, "--count must be a positive number");
      o.count = *n;
    } else if (a == "--rate") {
      auto r = parse_number<double>(a, v);
      if (!r || !(*r > 0) || !std::isfinite(*r)) return Error(Errc::invalid_argument, "--rate must be a positive number");
      o.rate = *r;
    } else if (a == "--arrival") {
      if (v != "poisson" && v != "fixed") return Error(Errc::invalid_argument, "--arrival must be poisson or fixed");
      o.poisson = v == "poisson";
    } else if (a == "--verify-sample") {
      auto f = parse_number<double>(a, v);
      if (!f || *f < 0 || *f > 1) return Error(Errc::invalid_argument, "--verify-sample must be in [0, 1]");
      o.verify_sample = *f;
    } else if (a == "--verify-path") {
      o.verify_path = v;
    } else if (a == "--records") {
      o.records_path = v;
    } else if (a == "--expect-status") {
      o.expect_status.clear();
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto s = parse_number<int>(a, item);
        if (!s || *s < 100 || *s > 599) return Error(Errc::invalid_argument, "--expect-status takes statuses like 200,201");
        o.expect_status.insert(*s);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (a == "--header") {
      if (v.find(':') == std::string::npos || v.find('\r') != std::string::npos || v.find('\n') != std::string::npos)
        return Error(Errc::invalid_argument, "--header needs 'Name: value'");
      o.headers.push_back(v);
    } else if (a == "--send-batch") {
      auto s = parse_byte_size(v);
      if (!s || *s < 4096 || *s > (64u << 20)) return Error(Errc::invalid_argument, "--send-batch must be 4KiB..64MiB");
      o.send_batch = static_cast<size_t>(*s);
    } else {
      return Error(Errc::invalid_argument, "unknown flag " + a);
    }
  }
  if (o.url.empty()) return Error(Errc::invalid_argument, "--url is required");
  if (auto st = parse_url(o); !st) return std::move(st).error();
  if (!path_set) {
    switch (o.mode) {
      case LoadMode::put: o.path = "/v1/files/content"; break;
      case LoadMode::form: o.path = "/v1/files"; break;
      case LoadMode::multipart: o.path = "/v1/uploads"; break;
      case LoadMode::get: return Error(Errc::invalid_argument, "--mode get needs --path (the URL path to GET)");
      case LoadMode::check: o.path = o.verify_path; break;
    }
  }
  if (o.mode == LoadMode::check && o.records_path.empty())
    return Error(Errc::invalid_argument, "--mode check needs --records (the file an upload run wrote)");
  if (o.path.empty() || o.path.front() != '/') return Error(Errc::invalid_argument, "--path must start with /");
  if (!query_set && o.mode == LoadMode::put) o.query = "path=" + o.upload_path + "&name=f{run}-{n}";
  if (!o.no_auth) {
    if (o.jwt_secret.empty()) o.jwt_secret = std::string(env_secret);
    if (o.jwt_secret.empty())
      return Error(Errc::invalid_argument, "give --jwt-secret (or SLUICE_JWT_SECRET), or --no-auth for a plain sink");
    if (o.jwt_secret.size() < 32) return Error(Errc::invalid_argument, "the JWT secret must be at least 32 bytes");
  }
  if (o.duration == Duration::zero() && o.count == 0) o.duration = std::chrono::seconds(10);
  return o;
}

}  // namespace sluice::load
