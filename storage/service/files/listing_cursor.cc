#include "storage/service/files/listing_cursor.h"

#include <charconv>

#include "storage/service/auth/base64url.h"
#include "storage/service/domain_error.h"
#include "storage/service/files/path_rules.h"

namespace sluice {

namespace {

// The cursor's layout version: a cursor of another layout is refused, never misread.
constexpr std::string_view kCursorVersion = "c1";
constexpr size_t kMaxCursorBytes = 512;

std::string_view key_name(FileSortKey k) {
  switch (k) {
    case FileSortKey::created_at: return "createdAt";
    case FileSortKey::updated_at: return "updatedAt";
    case FileSortKey::name: return "name";
    case FileSortKey::size: return "size";
  }
  return "createdAt";
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_uuid_text(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_lower_hex(s[i])) return false;
  }
  return true;
}

// A decimal int64 without sign games ('-' allowed only for times before 1970).
bool is_int64_text(std::string_view s, bool allow_negative) {
  int64_t v = 0;
  if (s.empty() || (!allow_negative && s[0] == '-')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && std::to_string(v) == s;
}

Error bad_cursor(std::string why) { return domain_error(Reason::invalid_cursor, "cursor " + std::move(why)); }

}  // namespace

Result<FileSort> parse_file_sort(std::string_view text) {
  FileSort s;
  s.descending = !text.empty() && text[0] == '-';
  std::string_view key = s.descending ? text.substr(1) : text;
  for (FileSortKey k : {FileSortKey::created_at, FileSortKey::updated_at, FileSortKey::name, FileSortKey::size}) {
    if (key_name(k) != key) continue;
    s.key = k;
    return s;
  }
  return domain_error(Reason::invalid_request,
                      "sort must be createdAt, updatedAt, name or size, with a leading '-' for descending");
}

std::string file_sort_name(FileSort s) { return (s.descending ? "-" : "") + std::string(key_name(s.key)); }

// Layout before encoding: "c1\n<sort>\n<id>\n<value>"; the value goes last because it is the only
// free-form part (a name never holds '\n', but nothing needs to rely on that).
std::string encode_listing_cursor(const ListingCursor& c) {
  std::string raw(kCursorVersion);
  raw += '\n';
  raw += file_sort_name(c.sort);
  raw += '\n';
  raw += c.id;
  raw += '\n';
  raw += c.value;
  return auth::base64url_encode(raw);
}

Result<ListingCursor> decode_listing_cursor(std::string_view text, FileSort sort) {
  if (text.empty() || text.size() > kMaxCursorBytes) return bad_cursor("is empty or too long");
  auto raw = auth::base64url_decode(text);
  if (!raw) return bad_cursor("is not one this service issued");
  std::string_view rest = *raw;
  std::string_view parts[3];
  for (auto& part : parts) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return bad_cursor("is not one this service issued");
    part = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
  }
  if (parts[0] != kCursorVersion) return bad_cursor("is not one this service issued");
  if (parts[1] != file_sort_name(sort))
    return bad_cursor("was made for sort=" + std::string(parts[1]) + ", not sort=" + file_sort_name(sort) +
                      ": keep the sort (and filters) of the first page");
  if (!is_uuid_text(parts[2])) return bad_cursor("is not one this service issued");
  bool valid_value = false;
  switch (sort.key) {
    case FileSortKey::created_at:
    case FileSortKey::updated_at: valid_value = is_int64_text(rest, true); break;
    case FileSortKey::size: valid_value = is_int64_text(rest, false); break;
    case FileSortKey::name: valid_value = !rest.empty() && rest.size() <= kMaxNameBytes; break;
  }
  if (!valid_value) return bad_cursor("is not one this service issued");
  ListingCursor c;
  c.sort = sort;
  c.id = std::string(parts[2]);
  c.value = std::string(rest);
  return c;
}

}  // namespace sluice
