// The order of a file listing (sort=createdAt|updatedAt|name|size, '-' for descending) and its
// keyset cursor: the sort, the last row's sort value and id, base64url-encoded. The cursor is
// opaque to clients; it is checked on the way back in, since they can send anything.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice {

enum class FileSortKey { created_at, updated_at, name, size };

struct FileSort {
  FileSortKey key = FileSortKey::created_at;
  bool descending = true;

  bool operator==(const FileSort&) const = default;
};

// "createdAt", "-size"...; Reason::invalid_request naming the accepted values otherwise.
Result<FileSort> parse_file_sort(std::string_view text);
// The API spelling of `s` ("-createdAt").
std::string file_sort_name(FileSort s);

// Where the previous page ended. `value` is the last row's sort key in the form the listing
// SQL compares it: microseconds since the epoch for times, the byte count for size, the name.
struct ListingCursor {
  FileSort sort;
  std::string value;
  std::string id;  // the last row's id (uuid text): the tie-break
};

std::string encode_listing_cursor(const ListingCursor& c);

// The cursor, if it is well-formed and was made for `sort`; Reason::invalid_cursor otherwise.
Result<ListingCursor> decode_listing_cursor(std::string_view text, FileSort sort);

}  // namespace sluice
