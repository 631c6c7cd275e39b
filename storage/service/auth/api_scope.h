// ApiScope: what an API key may do. A key holds only the scopes it was created with; a JWT
// caller holds them all (its role is what bounds it). Stored as text in sluice.api_keys.scopes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class ApiScope : uint8_t {
  files_read = 1,    // GET a file's metadata or content, list files, the caller's quota
  files_write = 2,   // uploads: PUT /v1/files/content, POST /v1/files, all of /v1/uploads
  files_delete = 4,  // deleting files
  shares_write = 8,  // creating and revoking shares
  keys_write = 16,   // listing and revoking the owner's API keys
};

using ApiScopes = uint8_t;  // a set of ApiScope bits
inline constexpr ApiScopes kAllApiScopes = 31;

inline constexpr bool has_scope(ApiScopes set, ApiScope s) { return (set & static_cast<ApiScopes>(s)) != 0; }

// "files:read", ...
std::string_view scope_name(ApiScope s);

// The scope a name stands for; nullopt for a name Sluice does not know.
std::optional<ApiScope> parse_scope(std::string_view name);

// The names of a set, in the order of the enum.
std::vector<std::string> scope_names(ApiScopes set);

// Every known name, comma-separated, for error messages.
std::string_view known_scope_list();

}  // namespace sluice
