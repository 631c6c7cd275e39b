#include "storage/api/share_views.h"

#include <limits>

#include "http/json_writer.h"
#include "storage/api/json_body.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/service/shares/share_password.h"

namespace sluice {

namespace {

constexpr size_t kMaxNoteBytes = 1024;
constexpr int64_t kMaxDownloadsLimit = std::numeric_limits<int32_t>::max();

std::optional<ApiError> read_password(simdjson::dom::element v, std::optional<std::string>& out) {
  if (v.is_null()) {
    out.reset();
    return std::nullopt;
  }
  std::string_view pw;
  if (v.get_string().get(pw) != simdjson::SUCCESS || pw.empty() || pw.size() > service::kMaxSharePasswordBytes)
    return ApiError(400, "invalid_password", "password must be a string of 1 to 1024 bytes, or null");
  out = std::string(pw);
  return std::nullopt;
}

std::optional<ApiError> read_expiry(simdjson::dom::element v, int64_t now_unix, std::optional<int64_t>& out) {
  if (v.is_null()) {
    out.reset();
    return std::nullopt;
  }
  std::string_view text;
  if (v.get_string().get(text) != simdjson::SUCCESS)
    return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time string or null");
  auto ms = parse_rfc3339_millis(text);
  if (!ms) return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z");
  if (*ms <= now_unix * 1000) return ApiError(400, "invalid_expiry", "expiresAt must be in the future");
  out = *ms;
  return std::nullopt;
}

std::optional<ApiError> read_max(simdjson::dom::element v, std::optional<int64_t>& out) {
  if (v.is_null()) {
    out.reset();
    return std::nullopt;
  }
  int64_t n = 0;
  if (v.get_int64().get(n) != simdjson::SUCCESS || n < 1 || n > kMaxDownloadsLimit)
    return ApiError(400, "invalid_max_downloads", "maxDownloads must be an integer from 1 to 2147483647, or null");
  out = n;
  return std::nullopt;
}

std::optional<ApiError> read_allow(simdjson::dom::element v, bool& out) {
  if (v.get_bool().get(out) != simdjson::SUCCESS)
    return ApiError(400, "invalid_request", "allowDownload must be true or false");
  return std::nullopt;
}

std::optional<ApiError> read_note(simdjson::dom::element v, std::string& out) {
  std::string_view text;
  if (v.get_string().get(text) != simdjson::SUCCESS || text.size() > kMaxNoteBytes)
    return ApiError(400, "invalid_note", "note must be a string of at most 1024 bytes");
  out = std::string(text);
  return std::nullopt;
}

void time_or_null(http::JsonWriter& w, const std::optional<std::string>& t) {
  if (t) w.string(*t);
  else w.null();
}

}  // namespace

std::variant<NewShareRequest, ApiError> parse_new_share(const std::string& body, int64_t now_unix) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  NewShareRequest out;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    std::optional<ApiError> bad;
    if (field.key == "password") bad = read_password(field.value, out.password);
    else if (field.key == "expiresAt") bad = read_expiry(field.value, now_unix, out.expires_millis);
    else if (field.key == "maxDownloads") bad = read_max(field.value, out.max_downloads);
    else if (field.key == "allowDownload") bad = read_allow(field.value, out.allow_download);
    else if (field.key == "note") bad = read_note(field.value, out.note);
    if (bad) return std::move(*bad);
  }
  return out;
}

std::variant<ShareChangeRequest, ApiError> parse_share_change(const std::string& body, int64_t now_unix) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  ShareChangeRequest out;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    std::optional<ApiError> bad;
    if (field.key == "password") {
      bad = read_password(field.value, out.password.emplace());
    } else if (field.key == "expiresAt") {
      bad = read_expiry(field.value, now_unix, out.expires_millis.emplace());
    } else if (field.key == "maxDownloads") {
      bad = read_max(field.value, out.max_downloads.emplace());
    } else if (field.key == "allowDownload") {
      bad = read_allow(field.value, out.allow_download.emplace());
    } else if (field.key == "note") {
      if (field.value.is_null()) out.note.emplace();
      else bad = read_note(field.value, out.note.emplace());
    }
    if (bad) return std::move(*bad);
  }
  return out;
}

std::string share_url(const std::string& public_url, const std::string& token) {
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/public/v1/shares/" + token;
}

std::string share_json(const service::ShareInfo& s, const std::string& public_url,
                       const std::optional<std::string>& token) {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("id").string(s.id);
  if (token) {
    w.key("token").string(*token);
    w.key("url").string(share_url(public_url, *token));
  }
  w.key("fileId").string(s.file_id);
  w.key("expiresAt");
  time_or_null(w, s.expires_at);
  w.key("maxDownloads");
  if (s.max_downloads) w.int64(*s.max_downloads);
  else w.null();
  w.key("downloadCount").int64(s.download_count);
  w.key("allowDownload").boolean(s.allow_download);
  w.key("passwordRequired").boolean(s.password_required);
  w.key("note").string(s.note);
  w.key("createdAt").string(s.created_at);
  w.key("lastAccessedAt");
  time_or_null(w, s.last_accessed_at);
  w.end_object();
  return out;
}

Task<std::variant<std::string, ApiError>> hash_password_off_reactor(WorkerPool& pool, Reactor& r,
                                                                    std::string password) {
  auto job = [pw = std::move(password)] { return service::hash_share_password(pw); };
  auto hashed = co_await pool.run(r, std::move(job));
  if (!hashed) {
    ApiError busy(503, "server_busy", "too many password operations right now; try again");
    busy.with_header("Retry-After", "1");
    co_return busy;
  }
  if (!hashed->ok()) co_return api_error_from(hashed->error());
  co_return std::move(**hashed);
}

}  // namespace sluice
