#include "storage/api/form_upload.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "http/http_exchange.h"
#include "storage/api/audit_trail.h"
#include "storage/api/caller_auth.h"
#include "storage/api/form_body_reader.h"
#include "storage/api/media_type.h"
#include "storage/service/files/path_rules.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice {

namespace {

using Kind = http::MultipartEvent::Kind;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// What a failed read of the form means for the client: its body's fault (408/413/400), a
// malformed form (400) or one over a parser limit (413); nullopt when neither (the store's).
std::optional<ApiError> form_failure(const FormBodyReader& form) {
  if (const auto& e = form.client_error()) return body_api_error(*e);
  if (const auto& e = form.form_error()) {
    if (e->code == Errc::limit_exceeded) return ApiError(413, "form_limit_exceeded", e->message);
    return ApiError(400, "invalid_form", e->message);
  }
  return std::nullopt;
}

ApiError failure_of(const FormBodyReader& form, const Error& e) {
  if (auto f = form_failure(form)) return std::move(*f);
  return api_error_from(e);
}

// A text field's value, refused (413) past `limit` bytes.
Task<std::variant<std::string, ApiError>> read_field(FormBodyReader& form, size_t limit) {
  std::string value;
  for (;;) {
    auto ev = co_await form.next();
    if (!ev) co_return failure_of(form, ev.error());
    if (ev->kind == Kind::part_end) co_return value;
    if (ev->kind != Kind::data) co_return ApiError(500, "internal", "multipart reader left a field without ending it");
    if (ev->data.size() > limit - value.size()) {
      co_return ApiError(413, "field_too_large",
                         "form field '" + form.part().name + "' exceeds " + std::to_string(limit) + " bytes");
    }
    value.append(ev->data.data(), ev->data.size());
  }
}

// Skips a part's content (an empty file input: browsers send it with an empty filename).
Task<std::optional<ApiError>> skip_part(FormBodyReader& form) {
  for (;;) {
    auto ev = co_await form.next();
    if (!ev) co_return failure_of(form, ev.error());
    if (ev->kind == Kind::part_end) co_return std::nullopt;
  }
}

// One file part as one upload. `body_limit` grows by the part's reservation. (A helper awaited
// at once by post_files, which owns every referent.)
Task<std::variant<FileRecord, ApiError>> upload_file(HttpExchange& ex, ServiceContext& ctx, const Principal& who,
                                                     FormBodyReader& form, UploadTarget target, uint64_t& body_limit) {
  DirectUpload upload(ctx, who);
  Status admitted = co_await upload.admit(std::move(target));
  if (!admitted.ok()) co_return api_error_from(admitted.error());
  audit_note(ex, "file", upload.file_id());  // a form of several files: the row names the first
  body_limit += upload.reserved_bytes();
  ex.set_body_limit(body_limit);
  FormPartSource body(form);
  std::vector<std::string> lease_ids;  // (no braced list of strings in a coroutine: GCC 12)
  lease_ids.push_back(upload.file_id());
  UploadPace pace(ctx.leases, &ctx.background, ctx.limits.pace, who.user_id, std::move(lease_ids));
  body.pace(&pace);
  ExpectedChecksums none;
  auto file = co_await upload.stream_and_commit(body, none);
  if (!file.ok()) co_return failure_of(form, file.error());
  if (!body.ended()) co_return ApiError(500, "internal", "the store finished before the file part ended");
  co_return std::move(*file);
}

std::string files_json(const std::vector<FileRecord>& files) {
  std::string out = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0) out += ",";
    out += files[i].to_json();
  }
  return out + "]";
}

// The error's details with the files this request committed before it failed.
ApiError with_committed(ApiError e, const std::vector<FileRecord>& files) {
  std::string details = "{\"files\":" + files_json(files);
  if (e.details_json.size() > 2 && e.details_json.front() == '{') {
    details += "," + e.details_json.substr(1);
  } else {
    details += "}";
  }
  e.details_json = std::move(details);
  return e;
}

Task<void> post_files(HttpExchange& ex, ServiceContexts* all, FormUploadOptions opts) {
  ServiceContext& ctx = core_context(ex, all);
  auto who = co_await authenticate_caller(ex, ctx, ApiScope::files_write);
  if (!who) co_return;
  std::string_view ct = ex.request().header("content-type");
  if (!starts_with_ci(ct, "multipart/form-data")) {
    co_return co_await respond_api_error(
        ex, ApiError(415, "unsupported_media_type",
                     "POST /v1/files takes multipart/form-data (as browsers and curl -F send it); "
                     "send a raw body with PUT /v1/files/content"));
  }
  auto boundary = http::parse_boundary(ct);
  if (!boundary.ok()) co_return co_await respond_api_error(ex, ApiError(400, "invalid_form", boundary.error().message));
  uint64_t body_limit = opts.max_non_file_bytes;
  ex.set_body_limit(body_limit);
  // Checked once here: a Content-Length near 2^64 once wrapped the reservation negative.
  std::optional<ByteCount> body_length;
  if (!ex.request().chunked && ex.request().content_length) {
    auto checked = ByteCount::from_client(*ex.request().content_length, "Content-Length");
    if (!checked.ok())
      co_return co_await respond_api_error(ex, ApiError(413, "size_out_of_range", checked.error().message));
    body_length = *checked;
  }

  FormBodyReader form(ex, *boundary, opts.parts);
  FormFields fields(opts.fields);
  // ?onConflict= applies to every file part (a form field onConflict overrides it from there on).
  if (auto mode = ex.request().query_param("onConflict")) {
    if (auto refused = fields.apply("onConflict", *mode)) co_return co_await respond_api_error(ex, std::move(*refused));
  }
  std::vector<FileRecord> files;
  std::optional<ApiError> failure;
  while (!failure) {
    auto ev = co_await form.next();
    if (!ev) {
      failure = failure_of(form, ev.error());
      break;
    }
    if (ev->kind == Kind::done) break;
    if (ev->kind != Kind::part_begin) {
      failure = ApiError(500, "internal", "multipart reader gave content outside a part");
      break;
    }
    const http::MultipartPart& part = form.part();
    if (!part.filename) {
      std::string name = part.name;
      auto value = co_await read_field(form, fields.limit_for(name));
      if (auto* e = std::get_if<ApiError>(&value)) {
        failure = std::move(*e);
      } else {
        failure = fields.apply(name, std::get<std::string>(value));
      }
      continue;
    }
    if (part.filename->empty()) {
      failure = co_await skip_part(form);
      continue;
    }
    if (files.size() >= opts.max_files) {
      failure = ApiError(413, "too_many_files",
                         "a form upload may carry at most " + std::to_string(opts.max_files) + " files");
      break;
    }
    UploadTarget t;
    t.path = fields.path();
    auto name = validate_file_name(*part.filename);
    if (!name.ok()) {
      failure = ApiError(400, "invalid_name", name.error().message);
      break;
    }
    t.name = std::move(*name);
    if (!part.content_type.empty()) {
      if (!valid_media_type(part.content_type)) {
        failure = ApiError(400, "invalid_content_type", "part '" + t.name + "' has an invalid Content-Type");
        break;
      }
      t.content_type = part.content_type;
    }
    t.visibility = fields.visibility();
    t.tags = fields.tags();
    t.metadata_json = fields.metadata_json();
    t.on_conflict = fields.on_conflict();
    t.size_bound = body_length;  // a file cannot be larger than the whole body
    auto outcome = co_await upload_file(ex, ctx, *who, form, std::move(t), body_limit);
    if (auto* e = std::get_if<ApiError>(&outcome)) {
      failure = std::move(*e);
      break;
    }
    files.push_back(std::get<FileRecord>(std::move(outcome)));
    fields.file_taken();
  }
  if (!failure && files.empty())
    failure = ApiError(400, "no_file", "the form has no file part (a part with a filename)");
  if (failure) co_return co_await respond_api_error(ex, with_committed(std::move(*failure), files));
  (void)co_await form.drain();  // the epilogue, if any: keeps the connection reusable
  (void)co_await ex.respond(Response::json(201, "{\"files\":" + files_json(files) + "}"));
}

}  // namespace

void add_form_upload_route(Router& router, ServiceContexts* contexts, FormUploadOptions options) {
  RouteOptions upload;
  upload.max_body_bytes = UINT64_MAX;  // the handler sets it: non-file allowance + reservations
  router.add("POST", "/v1/files", [contexts, options](HttpExchange& ex) { return post_files(ex, contexts, options); },
             upload);
}

}  // namespace sluice
