// Shares over HTTP, the parts both route files use: the owner's JSON view of a share, the
// parsing of create and change requests, and password hashing handed to the worker pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/clock.h"
#include "core/task.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "storage/api/api_error.h"
#include "storage/service/service_config.h"
#include "storage/service/shares/shares.h"

namespace sluice {

// What the share routes share: set once at start-up, read by every core.
struct ShareRouteOptions {
  WorkerPool* hashing = nullptr;  // Argon2id runs here, never on a reactor
  std::string access_key;         // HMAC key of unlock access tokens
  std::string public_url;         // base of the links; empty: path-only links
  Duration access_ttl = std::chrono::minutes(15);
  std::vector<int> thumbnail_sizes{128, 512};  // what a share's thumbnail route serves
};

struct NewShareRequest {
  std::optional<std::string> password;  // plain, hashed before it reaches the service
  bool allow_download = true;
  std::optional<int64_t> expires_millis;
  std::optional<int64_t> max_downloads;
  std::string note;
};

struct ShareChangeRequest {
  std::optional<std::optional<int64_t>> expires_millis;
  std::optional<std::optional<int64_t>> max_downloads;
  std::optional<std::optional<std::string>> password;  // plain; inner nullopt: remove
  std::optional<bool> allow_download;
  std::optional<std::string> note;
};

std::variant<NewShareRequest, ApiError> parse_new_share(const std::string& body, int64_t now_unix);
std::variant<ShareChangeRequest, ApiError> parse_share_change(const std::string& body, int64_t now_unix);

// The owner's view; `token` only in the create answer.
std::string share_json(const service::ShareInfo& s, const std::string& public_url,
                       const std::optional<std::string>& token);
// The URL of a share's public metadata: `{public_url}/public/v1/shares/{token}`.
std::string share_url(const std::string& public_url, const std::string& token);

// Argon2id of `password` on the pool: the encoded hash, or the error to answer (503 when the
// pool's queue is full).
Task<std::variant<std::string, ApiError>> hash_password_off_reactor(WorkerPool& pool, Reactor& r, std::string password);

}  // namespace sluice
