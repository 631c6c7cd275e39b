#include "storage/store/s3/s3_responses.h"

#include <charconv>
#include <utility>

#include "storage/store/s3/s3_error.h"
#include "storage/store/s3/xml_scanner.h"

namespace sluice::s3 {
namespace {

// Checks size and root; turns an <Error> document into its error.
Status expect_root(std::string_view body, std::string_view root) {
  if (body.size() > kMaxS3XmlBody) {
    return Error(Errc::protocol_error, "S3 reply of " + std::to_string(body.size()) +
                                           " bytes is larger than the 16 MiB accepted");
  }
  std::string_view actual = XmlScanner::root_name(body);
  if (actual == root) return {};
  // moto 5 names some roots "...Response" where S3 says "...Result" (ListParts,
  // CompleteMultipartUpload); the content is the same.
  if (root.ends_with("Result") && actual.ends_with("Response") &&
      actual.substr(0, actual.size() - 8) == root.substr(0, root.size() - 6)) {
    return {};
  }
  if (actual == "Error") {
    if (auto e = parse_s3_error(body, 200)) return e->to_error();
  }
  std::string msg = "S3 reply: expected <" + std::string(root) + ">, got ";
  if (actual.empty()) {
    msg += "no XML";
  } else {
    msg.append("<").append(actual).append(">");
  }
  return Error(Errc::protocol_error, std::move(msg));
}

Result<std::string> text_of(std::string_view doc, std::string_view name, bool required) {
  auto raw = XmlScanner::first(doc, name);
  if (!raw) {
    if (!required) return std::string();
    return Error(Errc::protocol_error, "S3 reply: missing <" + std::string(name) + ">");
  }
  return xml_unescape(*raw);
}

template <class Int>
Result<Int> number_of(std::string_view doc, std::string_view name) {
  auto raw = XmlScanner::first(doc, name);
  Int v = 0;
  if (!raw) return Error(Errc::protocol_error, "S3 reply: missing <" + std::string(name) + ">");
  auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (raw->empty() || ec != std::errc() || p != raw->data() + raw->size()) {
    return Error(Errc::protocol_error,
                 "S3 reply: <" + std::string(name) + "> is not a number: '" + std::string(*raw) + "'");
  }
  return v;
}

Result<bool> flag_of(std::string_view doc, std::string_view name) {
  auto raw = XmlScanner::first(doc, name);
  if (!raw || *raw == "false") return false;
  if (*raw == "true") return true;
  return Error(Errc::protocol_error,
               "S3 reply: <" + std::string(name) + "> is not true/false: '" + std::string(*raw) + "'");
}

// Bounds a listing so a hostile peer cannot make us allocate without limit.
Status check_count(size_t n) {
  if (n >= kMaxPartNumber) {
    return Error(Errc::protocol_error, "S3 reply lists more than 10000 entries in one page");
  }
  return {};
}

}  // namespace

Result<std::string> parse_initiate_multipart_upload(std::string_view body) {
  if (auto st = expect_root(body, "InitiateMultipartUploadResult"); !st) return std::move(st).error();
  auto id = text_of(body, "UploadId", true);
  if (id && id->empty()) return Error(Errc::protocol_error, "S3 reply: empty <UploadId>");
  return id;
}

Result<CompleteMultipartResult> parse_complete_multipart_upload(std::string_view body) {
  if (auto st = expect_root(body, "CompleteMultipartUploadResult"); !st) return std::move(st).error();
  CompleteMultipartResult r;
  auto etag = text_of(body, "ETag", true);
  if (!etag) return std::move(etag).error();
  r.etag = std::move(*etag);
  auto location = text_of(body, "Location", false);
  auto bucket = text_of(body, "Bucket", false);
  auto key = text_of(body, "Key", false);
  if (!location) return std::move(location).error();
  if (!bucket) return std::move(bucket).error();
  if (!key) return std::move(key).error();
  r.location = std::move(*location);
  r.bucket = std::move(*bucket);
  r.key = std::move(*key);
  return r;
}

Result<ListPartsResult> parse_list_parts(std::string_view body) {
  if (auto st = expect_root(body, "ListPartsResult"); !st) return std::move(st).error();
  ListPartsResult r;
  XmlScanner parts(body);
  while (auto part = parts.next("Part")) {
    if (auto st = check_count(r.parts.size()); !st) return std::move(st).error();
    auto number = number_of<uint32_t>(*part, "PartNumber");
    auto etag = text_of(*part, "ETag", true);
    auto size = number_of<uint64_t>(*part, "Size");
    if (!number) return std::move(number).error();
    if (!etag) return std::move(etag).error();
    if (!size) return std::move(size).error();
    r.parts.push_back(PartInfo{*number, std::move(*etag), *size});
  }
  auto truncated = flag_of(body, "IsTruncated");
  if (!truncated) return std::move(truncated).error();
  r.is_truncated = *truncated;
  if (XmlScanner::first(body, "NextPartNumberMarker")) {
    auto marker = number_of<uint32_t>(body, "NextPartNumberMarker");
    if (!marker) return std::move(marker).error();
    r.next_part_number_marker = *marker;
  }
  return r;
}

Result<ListMultipartUploadsResult> parse_list_multipart_uploads(std::string_view body) {
  if (auto st = expect_root(body, "ListMultipartUploadsResult"); !st) return std::move(st).error();
  ListMultipartUploadsResult r;
  XmlScanner uploads(body);
  while (auto upload = uploads.next("Upload")) {
    if (auto st = check_count(r.uploads.size()); !st) return std::move(st).error();
    auto key = text_of(*upload, "Key", true);
    auto id = text_of(*upload, "UploadId", true);
    if (!key) return std::move(key).error();
    if (!id) return std::move(id).error();
    r.uploads.push_back(MultipartUploadInfo{std::move(*key), std::move(*id)});
  }
  auto truncated = flag_of(body, "IsTruncated");
  auto next_key = text_of(body, "NextKeyMarker", false);
  auto next_id = text_of(body, "NextUploadIdMarker", false);
  if (!truncated) return std::move(truncated).error();
  if (!next_key) return std::move(next_key).error();
  if (!next_id) return std::move(next_id).error();
  r.is_truncated = *truncated;
  r.next_key_marker = std::move(*next_key);
  r.next_upload_id_marker = std::move(*next_id);
  return r;
}

Result<ListObjectsResult> parse_list_objects_v2(std::string_view body) {
  if (auto st = expect_root(body, "ListBucketResult"); !st) return std::move(st).error();
  ListObjectsResult r;
  XmlScanner contents(body);
  while (auto object = contents.next("Contents")) {
    if (auto st = check_count(r.objects.size()); !st) return std::move(st).error();
    auto key = text_of(*object, "Key", true);
    auto size = number_of<uint64_t>(*object, "Size");
    auto etag = text_of(*object, "ETag", false);
    if (!key) return std::move(key).error();
    if (!size) return std::move(size).error();
    if (!etag) return std::move(etag).error();
    r.objects.push_back(ObjectInfo{std::move(*key), *size, std::move(*etag)});
  }
  auto truncated = flag_of(body, "IsTruncated");
  auto token = text_of(body, "NextContinuationToken", false);
  if (!truncated) return std::move(truncated).error();
  if (!token) return std::move(token).error();
  r.is_truncated = *truncated;
  r.next_continuation_token = std::move(*token);
  if (r.is_truncated && r.next_continuation_token.empty()) {
    return Error(Errc::protocol_error, "S3 reply: truncated listing without <NextContinuationToken>");
  }
  return r;
}

Result<std::string> build_complete_multipart_body(std::span<const CompletedPart> parts) {
  if (parts.empty()) {
    return Error(Errc::invalid_argument, "CompleteMultipartUpload needs at least one part");
  }
  std::string out;
  out.reserve(96 + parts.size() * 96);
  out += "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  uint32_t previous = 0;
  for (const auto& p : parts) {
    if (p.part_number < 1 || p.part_number > kMaxPartNumber || p.part_number <= previous) {
      return Error(Errc::invalid_argument,
                   "CompleteMultipartUpload: part numbers must be ascending within 1..10000; got " +
                       std::to_string(p.part_number) + " after " + std::to_string(previous));
    }
    if (p.etag.empty()) {
      return Error(Errc::invalid_argument,
                   "CompleteMultipartUpload: part " + std::to_string(p.part_number) + " has no ETag");
    }
    previous = p.part_number;
    out += "<Part><PartNumber>";
    out += std::to_string(p.part_number);
    out += "</PartNumber><ETag>";
    xml_escape_append(out, p.etag);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace sluice::s3
