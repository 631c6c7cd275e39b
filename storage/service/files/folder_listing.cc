#include "storage/service/files/folder_listing.h"

#include "storage/service/auth/base64url.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/file_listing.h"
#include "storage/service/files/folder_queries.h"
#include "storage/service/files/path_rules.h"

namespace sluice::service {

namespace {

// A folder cursor is the last sub-folder's path under a version tag, base64url-encoded.
constexpr std::string_view kFolderCursorTag = "f1\n";

std::optional<std::string> decode_folder_cursor(std::string_view text, const std::string& prefix) {
  if (text.empty() || text.size() > 2 * kMaxPathBytes) return std::nullopt;
  auto raw = auth::base64url_decode(text);
  if (!raw || !raw->starts_with(kFolderCursorTag)) return std::nullopt;
  std::string last = raw->substr(kFolderCursorTag.size());
  // It must be a sub-folder of the folder being listed, else it was made for another one.
  if (last.size() <= prefix.size() || !last.starts_with(prefix) || last.find('/', prefix.size()) != std::string::npos)
    return std::nullopt;
  return last;
}

}  // namespace

Task<Result<FolderPage>> list_folders(PgPool& pg, Principal who, std::string path, int limit,
                                      std::optional<std::string> cursor) {
  if (limit < 1 || limit > kMaxListLimit)
    co_return domain_error(Reason::invalid_request, "limit must be from 1 to " + std::to_string(kMaxListLimit));
  auto dir = normalize_virtual_path(path);
  if (!dir.ok()) co_return domain_error(Reason::invalid_request, "path: " + dir.error().message);
  std::string prefix = *dir == "/" ? "/" : *dir + "/";
  std::string end = prefix.substr(0, prefix.size() - 1) + "0";
  std::string after;
  if (cursor) {
    auto last = decode_folder_cursor(*cursor, prefix);
    if (!last) co_return domain_error(Reason::invalid_cursor, "cursor is not one this service issued for path " + *dir);
    after = std::move(*last);
  }
  int rows_wanted = limit + 1;
  auto r = co_await pg.query(folder_sql::kSubfolders, who.user_id, prefix, end, after, rows_wanted);
  if (!r.ok()) co_return std::move(r).error();
  FolderPage page;
  int rows = r->rows();
  int shown = rows > limit ? limit : rows;
  for (int i = 0; i < shown; ++i) {
    FolderSummary s;
    s.path = std::string(r->text(i, 0));
    s.name = s.path.substr(prefix.size());
    auto n = r->int64(i, 1);
    auto b = r->int64(i, 2);
    if (!n.ok()) co_return std::move(n).error();
    if (!b.ok()) co_return std::move(b).error();
    s.file_count = *n;
    s.bytes = *b;
    page.items.push_back(std::move(s));
  }
  if (rows > limit && shown > 0) {
    std::string raw(kFolderCursorTag);
    raw += page.items.back().path;
    page.next_cursor = auth::base64url_encode(raw);
  }
  co_return page;
}

}  // namespace sluice::service
