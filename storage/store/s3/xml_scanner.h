// A forward-only finder of elements in the small, flat XML documents S3 returns, plus entity
// (un)escaping. Not a general XML parser: no CDATA, no same-name nesting; never allocates.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::s3 {

class XmlScanner {
 public:
  explicit XmlScanner(std::string_view doc) : doc_(doc) {}

  // Raw (still escaped) content of the next <name ...>...</name> or <name/> at or after the
  // cursor, and moves the cursor past it; nullopt when there is none or it is unterminated.
  std::optional<std::string_view> next(std::string_view name);

  // Raw content of the first <name> element in doc.
  static std::optional<std::string_view> first(std::string_view doc, std::string_view name) {
    return XmlScanner(doc).next(name);
  }

  // The root element's name ("Error", "ListBucketResult"), past a BOM, <?xml ...?> and
  // comments; empty when doc does not start like XML.
  static std::string_view root_name(std::string_view doc);

 private:
  std::string_view doc_;
  size_t pos_ = 0;
};

// Replaces &quot; &amp; &lt; &gt; &apos; and &#NN; / &#xHH; (as UTF-8). Fails on an unknown or
// unterminated entity or a code point XML does not allow.
[[nodiscard]] Result<std::string> xml_unescape(std::string_view raw);

// Appends text with & < > " ' escaped, for element content and attribute values.
void xml_escape_append(std::string& out, std::string_view text);

}  // namespace sluice::s3
