#include "storage/service/files/name_conflict.h"

#include <unordered_set>

#include "db/pg_statement.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/path_rules.h"

namespace sluice::service {

namespace {

// $1 owner, $2 path, $3 name, $4 LIKE pattern of its numbered forms. The live names among them.
constexpr PgStatement kTakenNames{
    "sluice_taken_names",
    "SELECT name FROM sluice.files WHERE owner = $1 AND path = $2 AND status = 'available'"
    "  AND (name = $3 OR name LIKE $4)",
    4};

std::string like_escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Where the extension starts (the last '.', not at position 0), or npos.
size_t extension_at(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == 0 || dot == std::string_view::npos ? std::string_view::npos : dot;
}

}  // namespace

Result<OnConflict> parse_on_conflict(std::string_view text) {
  if (text.empty() || text == "fail") return OnConflict::fail;
  if (text == "replace") return OnConflict::replace;
  if (text == "rename") return OnConflict::rename;
  return domain_error(Reason::invalid_request, "onConflict must be fail, replace or rename");
}

std::string_view on_conflict_name(OnConflict c) {
  switch (c) {
    case OnConflict::fail: return "fail";
    case OnConflict::replace: return "replace";
    case OnConflict::rename: return "rename";
  }
  return "fail";
}

std::string numbered_name(std::string_view name, int n) {
  size_t ext_at = extension_at(name);
  std::string_view stem = name.substr(0, ext_at);
  std::string_view ext = ext_at == std::string_view::npos ? std::string_view() : name.substr(ext_at);
  std::string suffix = " (" + std::to_string(n) + ")";
  size_t room = kMaxNameBytes > suffix.size() + ext.size() ? kMaxNameBytes - suffix.size() - ext.size() : 0;
  if (stem.size() > room) {
    stem = stem.substr(0, room);
    // Do not cut a UTF-8 sequence: drop continuation bytes and the lead byte they belong to.
    while (!stem.empty() && (static_cast<unsigned char>(stem.back()) & 0xC0) == 0x80) stem.remove_suffix(1);
    if (!stem.empty() && (static_cast<unsigned char>(stem.back()) & 0x80)) stem.remove_suffix(1);
  }
  std::string out(stem);
  out += suffix;
  out += ext;
  return out;
}

Task<Result<std::string>> first_free_name(PgPool& pg, std::string owner, std::string path, std::string name) {
  size_t ext_at = extension_at(name);
  std::string stem = name.substr(0, ext_at);
  std::string ext = ext_at == std::string::npos ? std::string() : name.substr(ext_at);
  std::string pattern = like_escaped(stem.size() > 200 ? stem.substr(0, 100) : stem) + "%(%)" + like_escaped(ext);
  auto r = co_await pg.query(kTakenNames, owner, path, name, pattern);
  if (!r.ok()) co_return std::move(r).error();
  std::unordered_set<std::string> taken;
  for (int i = 0; i < r->rows(); ++i) taken.emplace(r->text(i, 0));
  if (!taken.contains(name)) co_return name;
  for (int n = 1; n <= r->rows() + 1; ++n) {
    std::string candidate = numbered_name(name, n);
    if (!taken.contains(candidate)) co_return candidate;
  }
  co_return domain_error(Reason::name_conflict, "no free name for '" + name + "'");
}

Error name_conflict_from(Error e) {
  if (e.detail != "23505" || e.message.find("files_live_name_idx") == std::string::npos) return e;
  return domain_error(Reason::name_conflict, "a file with this name already exists in this folder");
}

}  // namespace sluice::service
