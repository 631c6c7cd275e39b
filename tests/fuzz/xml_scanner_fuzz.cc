// Fuzzes the S3 XML scanner: finds the elements Sluice reads in an S3 response (input[0] picks
// whether the name is taken from the input itself), unescapes what it finds, and checks that
// escaping then unescaping any text gives it back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/store/s3/xml_scanner.h"

namespace {

using sluice::s3::XmlScanner;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::string_view kNames[] = {"Error", "Code", "Message", "UploadId", "ETag", "Part",
                                       "PartNumber", "Key", "Contents", "IsTruncated",
                                       "NextContinuationToken", "Size"};

void scan(std::string_view doc, std::string_view name) {
  XmlScanner scanner(doc);
  const char* last_end = doc.data();
  for (int i = 0; i < 64; ++i) {
    auto element = scanner.next(name);
    if (!element) break;
    // Content lies inside the document and elements come in document order.
    check(element->data() >= doc.data() && element->data() + element->size() <= doc.data() + doc.size());
    check(element->data() >= last_end);
    last_end = element->data() + element->size();
    auto text = sluice::s3::xml_unescape(*element);
    if (text.ok()) check(text->size() <= element->size() || element->find('&') != std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    // "name\n" then the document: names the fuzzer makes up.
    size_t nl = doc.find('\n');
    if (nl == std::string_view::npos) return 0;
    scan(doc.substr(nl + 1), doc.substr(0, nl));
  } else {
    for (std::string_view name : kNames) scan(doc, name);
  }
  std::string_view root = XmlScanner::root_name(doc);
  check(root.empty() || (root.data() >= doc.data() && root.data() + root.size() <= doc.data() + doc.size()));

  std::string escaped;
  sluice::s3::xml_escape_append(escaped, doc);
  auto back = sluice::s3::xml_unescape(escaped);
  check(back.ok() && *back == doc);
  return 0;
}
