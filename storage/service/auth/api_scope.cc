#include "storage/service/auth/api_scope.h"

#include <array>
#include <utility>

namespace sluice {
namespace {

constexpr std::array<std::pair<ApiScope, std::string_view>, 5> kScopes{{
    {ApiScope::files_read, "files:read"},
    {ApiScope::files_write, "files:write"},
    {ApiScope::files_delete, "files:delete"},
    {ApiScope::shares_write, "shares:write"},
    {ApiScope::keys_write, "keys:write"},
}};

}  // namespace

std::string_view scope_name(ApiScope s) {
  for (const auto& [scope, name] : kScopes)
    if (scope == s) return name;
  return "unknown";
}

std::optional<ApiScope> parse_scope(std::string_view name) {
  for (const auto& [scope, n] : kScopes)
    if (n == name) return scope;
  return std::nullopt;
}

std::vector<std::string> scope_names(ApiScopes set) {
  std::vector<std::string> out;
  for (const auto& [scope, name] : kScopes)
    if (has_scope(set, scope)) out.emplace_back(name);
  return out;
}

std::string_view known_scope_list() { return "files:read, files:write, files:delete, shares:write, keys:write"; }

}  // namespace sluice
