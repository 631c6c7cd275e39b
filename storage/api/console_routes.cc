#include "storage/api/console_routes.h"

#include "http/http_exchange.h"
#include "storage/api/api_error.h"
#include "storage/api/caller_auth.h"

namespace sluice {

namespace {

// Only this origin's scripts, styles and API; images also from blob:/data: (Uppy's previews and
// icons). No inline script or style, no framing, no form posts elsewhere.
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "media-src 'self' blob:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";

// Sends `body`, which `keep` owns (so nothing is copied per request).
Task<void> send(HttpExchange& ex, std::shared_ptr<const ConsoleAssets> keep, std::string type, std::string_view body,
                std::string_view cache) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Content-Type", type);
  headers.emplace_back("Cache-Control", std::string(cache));
  headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Share pages carry their token in the URL: never leak it to another site.
  headers.emplace_back("Referrer-Policy", "no-referrer");
  headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  auto st = co_await ex.begin(200, std::move(headers), body.size());
  if (!st.ok()) co_return;
  (void)keep;
  if (ex.request().method != "HEAD" && !body.empty()) {
    std::span<const char> bytes(body.data(), body.size());
    st = co_await ex.write(bytes);
    if (!st.ok()) co_return;
  }
  (void)co_await ex.end();
}

// A file name from the path: one flat segment; anything that could climb or nest is refused.
bool plain_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name)
    if (c == '/' || c == '\\' || c == '\0' || c == '%') return false;
  return true;
}

Task<void> versioned(HttpExchange& ex, std::shared_ptr<const ConsoleAssets> a, bool vendor) {
  std::string_view v = ex.request().param("v");
  std::string_view name = ex.request().param("name");
  if (!plain_name(name))
    co_return co_await respond_api_error(ex, ApiError(400, "invalid_path", "console file names are plain names"));
  // Another version's URL is a page out of date: answering it with today's bytes would cache
  // them forever under the old name.
  if (v != a->version)
    co_return co_await respond_api_error(ex, ApiError(404, "not_found", "no such console version; reload /console/"));
  const auto& files = vendor ? a->vendor : a->files;
  auto it = files.find(name);
  if (it == files.end() || (!vendor && name.ends_with(".html")))
    co_return co_await respond_api_error(ex, ApiError(404, "not_found", "no such console file"));
  const ConsoleAsset& f = it->second;
  co_await send(ex, a, f.content_type, std::string_view(f.body), kImmutable);
}

Task<void> unversioned(HttpExchange& ex) {
  std::string_view name = ex.request().param("name");
  if (!plain_name(name))
    co_return co_await respond_api_error(ex, ApiError(400, "invalid_path", "console file names are plain names"));
  co_await respond_api_error(ex, ApiError(404, "not_found", "console files live under /console/<version>/"));
}

}  // namespace

void add_console_routes(Router& router, std::shared_ptr<const ConsoleAssets> assets) {
  auto page = [assets](HttpExchange& ex) -> Task<void> {
    return send(ex, assets, "text/html; charset=utf-8", std::string_view(assets->index_html), kRevalidate);
  };
  router.add("GET", "/console/", page);
  router.add("GET", "/console", [](HttpExchange& ex) -> Task<void> {
    Response r;
    r.status = 308;
    r.header("Location", "/console/");
    (void)co_await ex.respond(std::move(r));
  });
  router.add("GET", "/console/{name}", [](HttpExchange& ex) { return unversioned(ex); });
  router.add("GET", "/console/{v}/{name}", [assets](HttpExchange& ex) { return versioned(ex, assets, false); });
  router.add("GET", "/console/vendor/{v}/{name}", [assets](HttpExchange& ex) { return versioned(ex, assets, true); });
  router.add("GET", "/s/{token}", [assets](HttpExchange& ex) -> Task<void> {
    return send(ex, assets, "text/html; charset=utf-8", std::string_view(assets->share_html), kRevalidate);
  });
}

}  // namespace sluice
