#include "http/router.h"

#include "http/request.h"

namespace sluice {

static std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route r;
  r.method = std::move(method);
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  r.handler = wrap_ ? wrap_(r.method, pattern, std::move(handler)) : std::move(handler);
  r.options = options;
  routes_.push_back(std::move(r));
}

bool Router::match_segments(const Route& r, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>* params) {
  auto segs = split_path(path);
  if (segs.size() != r.segments.size()) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& want = r.segments[i];
    if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
      if (segs[i].empty()) return false;
      auto decoded = percent_decode(segs[i], false);
      if (!decoded) return false;
      if (params) params->emplace_back(want.substr(1, want.size() - 2), std::move(*decoded));
    } else if (want != segs[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  for (const Route& r : routes_) {
    if (!match_segments(r, path, nullptr)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET" && !m.handler)) {
      if (r.method == method || !m.handler) {
        m.params.clear();
        match_segments(r, path, &m.params);
        m.handler = &r.handler;
        m.options = &r.options;
        if (r.method == method) return m;
      }
    }
    if (m.allow.find(r.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += r.method;
    }
  }
  if (m.handler) m.allow.clear();
  return m;
}

}  // namespace sluice
