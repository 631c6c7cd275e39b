#include "storage/service/files/file_listing.h"

#include <string_view>

#include "storage/service/domain_error.h"
#include "storage/service/files/listing_queries.h"
#include "storage/service/files/path_rules.h"

namespace sluice::service {

namespace {

// Builds the statement text: appends fixed fragments, numbering their "${}" in order.
class SqlBuilder {
 public:
  explicit SqlBuilder(std::string owner) { params_.add(std::move(owner)); }

  // Appends `fragment`, giving each "${}" the number of the next value of `values`.
  template <class... V>
  void add(std::string_view fragment, V&&... values) {
    (params_.add(std::forward<V>(values)), ...);
    int next = params_.size() - static_cast<int>(sizeof...(values)) + 1;
    size_t at = 0;
    for (size_t hole = fragment.find("${}"); hole != std::string_view::npos; hole = fragment.find("${}", at)) {
      sql_.append(fragment.substr(at, hole - at));
      sql_ += '$';
      sql_ += std::to_string(next++);
      at = hole + 3;
    }
    sql_.append(fragment.substr(at));
  }
  ListingSql finish() && { return ListingSql{std::move(sql_), std::move(params_)}; }

 private:
  std::string sql_;
  PgParams params_;
};

const listing_sql::SortColumn& sort_column(FileSortKey k) {
  switch (k) {
    case FileSortKey::created_at: return listing_sql::kCreatedAt;
    case FileSortKey::updated_at: return listing_sql::kUpdatedAt;
    case FileSortKey::name: return listing_sql::kName;
    case FileSortKey::size: return listing_sql::kSize;
  }
  return listing_sql::kCreatedAt;
}

// q taken literally: LIKE's wildcards and its escape character escaped.
std::string contains_pattern(std::string_view text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  p += '%';
  return p;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '#' ||
         c == '$' || c == '&' || c == '^' || c == '`' || c == '|' || c == '~' || c == '+' || c == '-' || c == '.' ||
         c == '\'';
}

// "type/subtype" or "type/*" (RFC 9110 tokens; no LIKE wildcard can slip through).
bool valid_content_type_filter(std::string_view ct) {
  size_t slash = ct.find('/');
  if (ct.size() > 255 || slash == std::string_view::npos || slash == 0 || slash + 1 == ct.size()) return false;
  std::string_view type = ct.substr(0, slash), sub = ct.substr(slash + 1);
  for (char c : type)
    if (!is_token_char(c)) return false;
  if (sub == "*") return true;
  for (char c : sub)
    if (!is_token_char(c)) return false;
  return true;
}

Error invalid(std::string message) { return domain_error(Reason::invalid_request, std::move(message)); }

}  // namespace

Result<ListingSql> listing_sql(const std::string& owner, const FileListing& l) {
  const FileFilter& f = l.filter;
  if (l.limit < 1 || l.limit > kMaxListLimit)
    return invalid("limit must be from 1 to " + std::to_string(kMaxListLimit));
  if (f.recursive && !f.path) return invalid("recursive=true needs a path");
  if (f.tags.size() > kMaxListTags) return invalid("at most " + std::to_string(kMaxListTags) + " tag filters");
  for (const auto& t : f.tags)
    if (t.empty() || t.size() > 255) return invalid("a tag filter must be 1 to 255 bytes");
  if (f.visibility && *f.visibility != "private" && *f.visibility != "public")
    return invalid("visibility must be private or public");
  if (f.content_type && !valid_content_type_filter(*f.content_type))
    return invalid("contentType must be a media type such as image/png, or type/* such as image/*");
  if (f.name_contains && (f.name_contains->empty() || f.name_contains->size() > kMaxNameBytes))
    return invalid("q must be 1 to " + std::to_string(kMaxNameBytes) + " bytes");
  if ((f.min_size && *f.min_size < 0) || (f.max_size && *f.max_size < 0))
    return invalid("minSize and maxSize must be non-negative integers");
  std::optional<ListingCursor> after;
  if (l.cursor) {
    auto c = decode_listing_cursor(*l.cursor, l.sort);
    if (!c.ok()) return std::move(c).error();
    after = std::move(*c);
  }

  const listing_sql::SortColumn& key = sort_column(l.sort.key);
  SqlBuilder b(owner);
  b.add(listing_sql::kSelect);
  b.add(key.cursor_value);
  b.add(listing_sql::kFrom);
  if (f.path) {
    auto path = normalize_virtual_path(*f.path);
    if (!path.ok()) return invalid("path: " + path.error().message);
    if (!f.recursive) {
      b.add(listing_sql::kInFolder, *path);
    } else if (*path != "/") {  // the root's subtree is every file: no condition
      std::string end = *path + "0", slash = *path + "/";
      b.add(listing_sql::kInSubtree, *path, std::move(end), *path, std::move(slash));
    }
  }
  if (f.name_contains) b.add(listing_sql::kNameContains, contains_pattern(*f.name_contains));
  if (f.content_type) {
    const std::string& ct = *f.content_type;
    if (ct.ends_with("/*"))
      b.add(listing_sql::kContentTypeLike, ct.substr(0, ct.size() - 1) + "%");
    else
      b.add(listing_sql::kContentTypeIs, ct);
  }
  if (!f.tags.empty()) b.add(listing_sql::kHasTags, f.tags);
  if (f.favorite) b.add(listing_sql::kFavorite, *f.favorite);
  if (f.visibility) b.add(listing_sql::kVisibility, *f.visibility);
  if (f.min_size) b.add(listing_sql::kMinSize, *f.min_size);
  if (f.max_size) b.add(listing_sql::kMaxSize, *f.max_size);
  if (f.created_after_ms) b.add(listing_sql::kCreatedFrom, *f.created_after_ms);
  if (f.created_before_ms) b.add(listing_sql::kCreatedUntil, *f.created_before_ms);

  // Keyset: rows strictly after the cursor's (key, id) in the listing's order. One row
  // comparison, so a btree on (..., key, id) in either direction bounds the scan.
  const char* dir = l.sort.descending ? " DESC" : " ASC";
  const char* ordered = f.path && !f.recursive ? key.in_folder : key.column;
  if (after) {
    b.add(std::string(" AND (") + ordered + ", f.id) " + (l.sort.descending ? "<" : ">") + " (");
    b.add(key.from_cursor, after->value);
    b.add(", ${}::uuid)", after->id);
  }
  b.add(std::string(" ORDER BY ") + ordered + dir + ", f.id" + dir + " LIMIT ${}", l.limit + 1);
  return std::move(b).finish();
}

Task<Result<FilePage>> list_files(PgPool& pg, Principal who, FileListing l) {
  auto q = listing_sql(who.user_id, l);
  if (!q.ok()) co_return std::move(q).error();
  Deadline deadline = deadline_after(pg.options().query_timeout);
  std::string sql = std::move(q->sql);
  PgParams params = std::move(q->params);
  auto r = co_await pg.execute_params(std::move(sql), std::move(params), deadline);
  if (!r.ok()) co_return std::move(r).error();
  FilePage page;
  int rows = r->rows();
  int shown = rows > l.limit ? l.limit : rows;
  page.items.reserve(static_cast<size_t>(shown));
  for (int i = 0; i < shown; ++i) {
    auto f = file_from_row(*r, i);
    if (!f.ok()) co_return std::move(f).error();
    page.items.push_back(std::move(*f));
  }
  if (rows > l.limit && shown > 0) {
    ListingCursor c;
    c.sort = l.sort;
    c.value = std::string(r->text(shown - 1, r->columns() - 1));
    c.id = page.items.back().id;
    page.next_cursor = encode_listing_cursor(c);
  }
  co_return page;
}

}  // namespace sluice::service
