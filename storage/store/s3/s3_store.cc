#include "storage/store/s3/s3_store.h"

#include <algorithm>
#include <charconv>

#include "core/log.h"
#include "storage/store/s3/s3_error.h"
#include "storage/store/s3/s3_responses.h"

namespace sluice {

using namespace std::chrono_literals;

// One S3 request as the store describes it; attempt() signs and sends it.
struct S3Store::Call {
  std::string method;
  std::string key;  // raw; empty addresses the bucket
  std::vector<std::pair<std::string, std::string>> query;    // raw names and values
  std::vector<std::pair<std::string, std::string>> headers;  // signed: content-type, range, x-amz-*
  std::string body;                                          // small body (XML)
  std::span<const char> held;                                // or a large one the caller holds
  ClientBodySource* source = nullptr;                        // or a streamed one
  uint64_t content_length = 0;
  const s3::BodyCursor::Slice* slice = nullptr;  // the streamed body, to know if it was read
  bool idempotent = false;
  bool read_body = false;  // read a 2xx body (capped) within the attempt, checking for <Error>
  Deadline deadline = kNoDeadline;
};

struct S3Store::Exchange {
  PooledConnection conn;
  ResponseHead head;
  std::string body;  // when Call::read_body
};

namespace {

std::string unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "bytes 0-9/100" -> 100.
std::optional<uint64_t> content_range_total(std::string_view v) {
  auto slash = v.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return parse_u64(v.substr(slash + 1));
}

std::string describe(const std::string& method, const std::string& key) {
  return "S3 " + method + (key.empty() ? std::string(" bucket") : " '" + key + "'");
}

Error with_context(Error e, const std::string& context) {
  e.message = context + ": " + e.message;
  return e;
}

}  // namespace

Result<SocketAddress> S3Store::resolve_endpoint(const s3::S3Endpoint& endpoint) {
  if (auto st = s3::validate_endpoint(endpoint); !st) return std::move(st).error();
  std::string host = endpoint.path_style ? endpoint.host : endpoint.bucket + "." + endpoint.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  uint16_t port = endpoint.port != 0 ? endpoint.port : (endpoint.scheme == "https" ? 443 : 80);
  if (auto ip = SocketAddress::from_ip(host, port)) return ip;
  auto addr = SocketAddress::resolve(host, port);
  if (!addr) return with_context(std::move(addr).error(), "resolving S3 endpoint host '" + host + "'");
  return addr;
}

Result<std::unique_ptr<S3Store>> S3Store::create(Reactor& r, S3StoreOptions options) {
  auto addr = resolve_endpoint(options.endpoint);
  if (!addr) return std::move(addr).error();
  return create(r, std::move(options), *addr);
}

Result<std::unique_ptr<S3Store>> S3Store::create(Reactor& r, S3StoreOptions options, SocketAddress address) {
  if (auto st = s3::validate_endpoint(options.endpoint); !st) return std::move(st).error();
  std::unique_ptr<TlsClientContext> tls;
  if (options.endpoint.scheme == "https") {
    auto ctx = TlsClientContext::create(options.tls);
    if (!ctx) return with_context(std::move(ctx).error(), "S3 endpoint TLS");
    tls = std::move(*ctx);
    // Pooled connections speak TLS to the host the requests name (virtual-hosted: bucket.host).
    options.pool.connection.tls = tls.get();
    options.pool.connection.tls_host =
        options.endpoint.path_style ? options.endpoint.host : options.endpoint.bucket + "." + options.endpoint.host;
  }
  if (auto plan = s3::plan_parts(1, {options.part_size, options.multipart_threshold}); !plan) {
    return with_context(std::move(plan).error(), "S3 store options");
  }
  if (options.presign_min_expiry < 1 || options.presign_min_expiry > options.presign_max_expiry ||
      options.presign_max_expiry > s3::kMaxPresignExpiry) {
    return Error(Errc::invalid_argument, "S3 presign expiry bounds must satisfy 1 <= min <= max <= 604800 seconds");
  }
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return Error(Errc::invalid_argument, "S3 credentials are missing (access key id and secret access key)");
  }
  if (!options.sse.empty() && options.sse != "AES256" && options.sse != "aws:kms")
    return Error(Errc::invalid_argument, "S3 server-side encryption must be AES256 or aws:kms, got '" + options.sse + "'");
  if (!options.sse_kms_key_id.empty() && options.sse != "aws:kms")
    return Error(Errc::invalid_argument, "an S3 SSE-KMS key id needs server-side encryption aws:kms");
  if (options.unknown_size_buffer_budget < options.part_size) {
    return Error(Errc::invalid_argument, "S3 unknown-size buffer budget (" + std::to_string(options.unknown_size_buffer_budget) +
                                             " bytes) must hold at least one part of " +
                                             std::to_string(options.part_size) + " bytes");
  }
  if (options.retry.max_attempts < 1) options.retry.max_attempts = 1;
  auto store = std::unique_ptr<S3Store>(new S3Store(r, std::move(options), address));
  store->tls_ = std::move(tls);
  return store;
}

S3Store::S3Store(Reactor& r, S3StoreOptions options, SocketAddress address)
    : r_(r),
      options_(std::move(options)),
      pool_(r, address, options_.pool),
      signer_(options_.credentials, options_.endpoint.region),
      retry_(options_.retry),
      buffer_budget_(r, options_.unknown_size_buffer_budget) {}

S3Store::~S3Store() = default;

Task<Result<S3Store::Exchange>> S3Store::attempt(const Call& call, Deadline d, bool& retry_worthy) {
  auto target = s3::s3_target(options_.endpoint, call.key);
  if (!target) co_return std::move(target).error();
  std::vector<s3::SigV4Param> query;
  query.reserve(call.query.size());
  for (const auto& [n, v] : call.query) query.push_back({n, v});
  std::vector<s3::SigV4Param> signed_headers;
  signed_headers.reserve(call.headers.size());
  for (const auto& [n, v] : call.headers) signed_headers.push_back({n, v});
  // Held bodies are parts of several MiB: hashing them for the signature would cost a pass.
  std::string payload_hash = call.source || !call.held.empty() ? std::string(s3::kUnsignedPayload)
                             : call.body.empty() ? std::string(s3::kEmptyPayloadSha256)
                                                 : s3::sha256_hex(call.body);
  s3::SigV4Request sreq;
  sreq.method = call.method;
  sreq.host = target->host_header;
  sreq.path = target->path;
  sreq.query = query;
  sreq.headers = signed_headers;
  sreq.payload_hash = payload_hash;
  sreq.timestamp = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto sig = signer_.sign_headers(sreq);
  if (!sig) co_return std::move(sig).error();

  ClientRequest req;
  req.method = call.method;
  req.target = target->encoded_path;
  if (!query.empty()) req.target += "?" + s3::canonical_query_string(query);
  req.headers.reserve(call.headers.size() + 6);
  req.headers.emplace_back("Host", target->host_header);
  req.headers.emplace_back("x-amz-date", sig->amz_date);
  req.headers.emplace_back("x-amz-content-sha256", sig->content_sha256);
  if (!sig->security_token.empty()) req.headers.emplace_back("x-amz-security-token", sig->security_token);
  req.headers.emplace_back("Authorization", sig->authorization);
  for (const auto& h : call.headers) req.headers.push_back(h);
  req.body = call.held.empty() ? std::string_view(call.body) : std::string_view(call.held.data(), call.held.size());
  req.body_source = call.source;
  req.content_length = call.content_length;

  auto lease = co_await pool_.acquire(d);
  if (!lease) co_return std::move(lease).error();
  PooledConnection conn = std::move(*lease);
  if (auto st = co_await conn->send(req, d); !st) co_return std::move(st).error();
  auto head = co_await conn->read_head(d);
  if (!head) co_return std::move(head).error();
  Exchange ex{std::move(conn), std::move(*head), {}};
  if (ex.head.status < 200 || ex.head.status > 299) {
    auto body = co_await ex.conn->read_body_string(s3::kMaxS3ErrorBody, d);
    std::string_view text = body ? std::string_view(*body) : std::string_view();
    s3::S3Error s3err = s3::s3_error_from_response(ex.head.status, text);
    // to_error() calls every 5xx "unavailable"; only S3's retryable ones (500, 503, SlowDown...)
    // are worth another attempt, not e.g. 501 NotImplemented.
    retry_worthy = s3err.retryable();
    co_return s3err.to_error();
  }
  if (call.read_body) {
    auto body = co_await ex.conn->read_body_string(s3::kMaxS3XmlBody, d);
    if (!body) co_return std::move(body).error();
    // S3 may answer 200 and still fail (CompleteMultipartUpload): the body tells.
    if (auto err = s3::parse_s3_error(*body, ex.head.status)) co_return err->to_error();
    ex.body = std::move(*body);
  }
  co_return ex;
}

Task<Result<S3Store::Exchange>> S3Store::perform(const Call& call, Deadline d) {
  const Deadline start = Clock::now();
  for (int n = 1;; ++n) {
    bool retry_worthy = true;
    auto ex = co_await attempt(call, d, retry_worthy);
    if (ex) co_return ex;
    Error err = std::move(ex).error();
    retry_worthy = retry_worthy && s3::is_retryable(err);
    // A streamed body can be replayed only if no byte of it was read (e.g. connect failed).
    bool replayable = call.slice ? !call.slice->started() : call.idempotent;
    Duration wait = retry_.backoff(n + 1);
    if (!replayable || !retry_worthy || !retry_.allows(n + 1, start, Clock::now(), wait, d)) {
      if (n > 1) err.message += " (after " + std::to_string(n) + " attempts)";
      co_return with_context(std::move(err), describe(call.method, call.key));
    }
    log_event(LogLevel::debug, "s3_retry",
              {{"method", call.method}, {"key", call.key}, {"attempt", n + 1}, {"error", err.message}});
    co_await SleepUntil(r_, Clock::now() + wait);
  }
}

Task<Result<std::string>> S3Store::perform_xml(Call call) {
  call.read_body = true;
  auto ex = co_await perform(call, call.deadline);
  if (!ex) co_return std::move(ex).error();
  co_return std::move(ex->body);
}

// ---------------------------------------------------------------- uploads

Task<Result<std::string>> S3Store::put_stream(const std::string& key, const std::string& upload_id,
                                              uint32_t part_number, uint64_t size, s3::BodyCursor& cursor,
                                              const std::string& content_type) {
  auto slice = cursor.slice(size);
  Call call;
  call.method = "PUT";
  call.key = key;
  if (!upload_id.empty()) {
    call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  } else {
    call.headers = {{"Content-Type", content_type}};
    add_sse_headers(call);
  }
  call.source = &slice;
  call.content_length = size;
  call.slice = &slice;
  // No overall deadline: a large body takes as long as it takes; each send and receive is
  // bounded by the pool's io timeout instead.
  auto ex = co_await perform(call, kNoDeadline);
  if (!ex) co_return std::move(ex).error();
  std::string etag = unquote(ex->head.header("etag"));
  if (auto st = co_await ex->conn->drain_body(s3::kMaxS3ErrorBody, deadline_after(options_.request_timeout)); !st) {
    co_return with_context(std::move(st).error(), describe("PUT", key));
  }
  if (etag.empty()) co_return Error(Errc::protocol_error, describe("PUT", key) + ": reply has no ETag");
  co_return etag;
}

Task<Result<PutResult>> S3Store::put(std::string key, uint64_t size, ByteSource& body, PutOptions opts) {
  auto plan = s3::plan_parts(size, {options_.part_size, options_.multipart_threshold});
  if (!plan) co_return with_context(std::move(plan).error(), describe("PUT", key));
  s3::BodyCursor cursor(body, size, opts.want_md5, opts.want_sha256);
  if (plan->multipart) co_return co_await put_multipart(std::move(key), *plan, cursor, std::move(opts.content_type));
  auto etag = co_await put_stream(key, {}, 0, size, cursor, opts.content_type);
  if (!etag) co_return std::move(etag).error();
  PutResult out;
  out.size = size;
  out.etag = std::move(*etag);
  StreamDigestResult digests = cursor.finish_digests();
  out.md5_hex = std::move(digests.md5_hex);
  out.sha256_hex = std::move(digests.sha256_hex);
  co_return out;
}

Task<Result<PutResult>> S3Store::put_multipart(std::string key, s3::PartPlan plan, s3::BodyCursor& cursor,
                                               std::string content_type) {
  auto upload_id = co_await create_multipart(key, content_type);
  if (!upload_id) co_return std::move(upload_id).error();
  std::vector<PartInfo> parts;
  parts.reserve(plan.part_count);
  Error failure;
  bool failed = false;
  for (uint32_t n = 1; n <= plan.part_count && !failed; ++n) {
    s3::PartRange range = plan.part(n);
    auto etag = co_await put_stream(key, *upload_id, n, range.length, cursor, {});
    if (!etag) {
      failure = std::move(etag).error();
      failed = true;
      break;
    }
    parts.push_back(PartInfo{static_cast<int>(n), range.length, std::move(*etag)});
  }
  // (Plain statements: GCC 12 miscompiles co_await inside a conditional expression.)
  Result<std::string> etag(failure);
  if (!failed) etag = co_await complete_multipart(key, *upload_id, parts);
  if (!etag) {
    // Leave nothing behind: a dangling upload keeps its parts (and their cost) forever.
    if (auto st = co_await abort_multipart(key, *upload_id); !st) {
      log_event(LogLevel::warn, "s3_abort_failed", {{"key", key}, {"error", st.error().message}});
    }
    co_return std::move(etag).error();
  }
  PutResult out;
  out.size = plan.object_size;
  out.etag = std::move(*etag);
  StreamDigestResult digests = cursor.finish_digests();
  out.md5_hex = std::move(digests.md5_hex);
  out.sha256_hex = std::move(digests.sha256_hex);
  co_return out;
}

Task<Result<std::string>> S3Store::put_held(const std::string& key, const std::string& upload_id,
                                            uint32_t part_number, std::span<const char> bytes,
                                            const std::string& content_type) {
  Call call;
  call.method = "PUT";
  call.key = key;
  if (!upload_id.empty()) {
    call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  } else {
    call.headers = {{"Content-Type", content_type}};
    add_sse_headers(call);
  }
  call.held = bytes;
  call.idempotent = true;  // the bytes are still here: sending them again is safe
  // As put_stream: each send and receive is bounded by the pool's io timeout.
  auto ex = co_await perform(call, kNoDeadline);
  if (!ex) co_return std::move(ex).error();
  std::string etag = unquote(ex->head.header("etag"));
  if (auto st = co_await ex->conn->drain_body(s3::kMaxS3ErrorBody, deadline_after(options_.request_timeout)); !st) {
    co_return with_context(std::move(st).error(), describe("PUT", key));
  }
  if (etag.empty()) co_return Error(Errc::protocol_error, describe("PUT", key) + ": reply has no ETag");
  co_return etag;
}

namespace {

// Equal parts of the configured size, grown so that max_size fits in 10,000 of them, but never
// past the budget (a larger body then fails at part 10,001).
uint64_t unknown_size_part(uint64_t configured, uint64_t max_size, uint64_t budget) {
  uint64_t needed = (max_size + s3::kMaxParts - 1) / s3::kMaxParts;
  needed = (needed + s3::kMiB - 1) / s3::kMiB * s3::kMiB;
  return std::min(std::max(configured, needed), std::max(budget, configured));
}

}  // namespace

Task<Result<PutResult>> S3Store::put_unknown_size(std::string key, uint64_t max_size, ByteSource& body,
                                                  PutOptions opts) {
  const uint64_t part_size = unknown_size_part(options_.part_size, max_size, buffer_budget_.cap());
  // A body limited to less than a part needs only that much room (and ends in one PUT).
  auto buffer = co_await s3::PartBuffer::take(buffer_budget_, std::min(part_size, max_size),
                                              deadline_after(options_.unknown_size_buffer_wait));
  if (!buffer) co_return with_context(std::move(buffer).error(), describe("PUT", key));
  s3::PartFiller filler(body, max_size, opts.want_md5, opts.want_sha256);
  if (auto st = co_await filler.fill(*buffer); !st) co_return with_context(std::move(st).error(), describe("PUT", key));
  Result<std::string> etag(Error(Errc::internal, "unset"));
  if (filler.ended()) {
    etag = co_await put_held(key, {}, 0, buffer->bytes(), opts.content_type);
  } else {
    etag = co_await put_unknown_parts(key, part_size, *buffer, filler, opts.content_type);
  }
  if (!etag) co_return std::move(etag).error();
  PutResult out;
  out.size = filler.total();
  out.etag = std::move(*etag);
  StreamDigestResult digests = filler.finish_digests();
  out.md5_hex = std::move(digests.md5_hex);
  out.sha256_hex = std::move(digests.sha256_hex);
  co_return out;
}

Task<Result<std::string>> S3Store::put_unknown_parts(const std::string& key, uint64_t part_size,
                                                     s3::PartBuffer& buffer, s3::PartFiller& filler,
                                                     const std::string& content_type) {
  auto upload_id = co_await create_multipart(key, content_type);
  if (!upload_id) co_return std::move(upload_id).error();
  std::vector<PartInfo> parts;
  std::optional<Error> failure;
  for (uint32_t n = 1;; ++n) {
    // The buffer holds part n: a full one with more to come, or the last one.
    if (n > s3::kMaxParts) {
      failure = Error(Errc::limit_exceeded, describe("PUT", key) + ": a body of unknown length may have at most " +
                                                std::to_string(s3::kMaxParts) + " parts of " +
                                                std::to_string(part_size) + " bytes here");
      break;
    }
    auto etag = co_await put_held(key, *upload_id, n, buffer.bytes(), {});
    if (!etag) {
      failure = std::move(etag).error();
      break;
    }
    parts.push_back(PartInfo{static_cast<int>(n), buffer.size(), std::move(*etag)});
    if (filler.ended()) break;
    buffer.clear();
    if (auto st = co_await filler.fill(buffer); !st) {
      failure = with_context(std::move(st).error(), describe("PUT", key));
      break;
    }
  }
  Result<std::string> etag(Error(Errc::internal, "unset"));
  if (failure) {
    etag = std::move(*failure);
  } else {
    etag = co_await complete_multipart(key, *upload_id, parts);
  }
  if (!etag) {
    // Leave nothing behind: a dangling upload keeps its parts (and their cost) forever.
    if (auto st = co_await abort_multipart(key, *upload_id); !st) {
      log_event(LogLevel::warn, "s3_abort_failed", {{"key", key}, {"error", st.error().message}});
    }
  }
  co_return etag;
}

Task<Result<std::string>> S3Store::create_multipart(std::string key, std::string content_type) {
  Call call;
  call.method = "POST";
  call.key = key;
  call.query = {{"uploads", ""}};
  if (!content_type.empty()) call.headers = {{"Content-Type", content_type}};
  add_sse_headers(call);
  call.idempotent = true;
  call.deadline = deadline_after(options_.request_timeout);
  auto body = co_await perform_xml(std::move(call));
  if (!body) co_return std::move(body).error();
  auto id = s3::parse_initiate_multipart_upload(*body);
  if (!id) co_return with_context(std::move(id).error(), describe("POST ?uploads", key));
  co_return std::move(*id);
}

Task<Result<PartInfo>> S3Store::upload_part(std::string key, std::string upload_id, int part_number, uint64_t size,
                                            ByteSource& body, PutOptions opts) {
  if (part_number < 1 || part_number > static_cast<int>(s3::kMaxPartNumber)) {
    co_return Error(Errc::invalid_argument, "part number " + std::to_string(part_number) + " is outside 1..10000");
  }
  if (upload_id.empty()) co_return Error(Errc::invalid_argument, "upload_part needs an upload id");
  if (size > s3::kMaxPartSize) co_return Error(Errc::invalid_argument, "part larger than 5 GiB");
  s3::BodyCursor cursor(body, size, opts.want_md5, opts.want_sha256);
  auto etag = co_await put_stream(key, upload_id, static_cast<uint32_t>(part_number), size, cursor, {});
  if (!etag) co_return std::move(etag).error();
  co_return PartInfo{part_number, size, std::move(*etag)};
}

Task<Result<std::string>> S3Store::complete_multipart(std::string key, std::string upload_id,
                                                      std::vector<PartInfo> parts) {
  std::vector<s3::CompletedPart> completed;
  completed.reserve(parts.size());
  for (const auto& p : parts) {
    if (p.number < 1) co_return Error(Errc::invalid_argument, "part number " + std::to_string(p.number));
    completed.push_back({static_cast<uint32_t>(p.number), "\"" + unquote(p.etag) + "\""});
  }
  auto xml = s3::build_complete_multipart_body(completed);
  if (!xml) co_return std::move(xml).error();
  Call call;
  call.method = "POST";
  call.key = key;
  call.query = {{"uploadId", upload_id}};
  call.headers = {{"Content-Type", "application/xml"}};
  call.body = std::move(*xml);
  call.idempotent = true;
  call.deadline = deadline_after(options_.request_timeout);
  auto body = co_await perform_xml(std::move(call));
  if (!body) co_return std::move(body).error();
  auto done = s3::parse_complete_multipart_upload(*body);
  if (!done) co_return with_context(std::move(done).error(), describe("POST ?uploadId", key));
  co_return unquote(done->etag);
}

Task<Status> S3Store::abort_multipart(std::string key, std::string upload_id) {
  Call call;
  call.method = "DELETE";
  call.key = key;
  call.query = {{"uploadId", upload_id}};
  call.idempotent = true;
  call.deadline = deadline_after(options_.request_timeout);
  auto body = co_await perform_xml(std::move(call));
  if (!body) co_return std::move(body).error();
  co_return Status();
}

Task<Result<std::vector<PartInfo>>> S3Store::list_parts(std::string key, std::string upload_id) {
  std::vector<PartInfo> out;
  uint32_t marker = 0;
  for (;;) {
    Call call;
    call.method = "GET";
    call.key = key;
    call.query = {{"uploadId", upload_id}};
    if (marker != 0) call.query.emplace_back("part-number-marker", std::to_string(marker));
    call.idempotent = true;
    call.deadline = deadline_after(options_.request_timeout);
    auto body = co_await perform_xml(std::move(call));
    if (!body) co_return std::move(body).error();
    auto page = s3::parse_list_parts(*body);
    if (!page) co_return with_context(std::move(page).error(), describe("GET ?uploadId", key));
    for (auto& p : page->parts) out.push_back(PartInfo{static_cast<int>(p.part_number), p.size, unquote(p.etag)});
    if (!page->is_truncated || page->next_part_number_marker <= marker) co_return out;
    marker = page->next_part_number_marker;
  }
}

Task<Result<std::vector<MultipartUploadRef>>> S3Store::list_multipart_uploads(std::string prefix) {
  std::vector<MultipartUploadRef> out;
  std::string key_marker;
  std::string id_marker;
  for (;;) {
    Call call;
    call.method = "GET";
    call.query = {{"uploads", ""}};
    if (!prefix.empty()) call.query.emplace_back("prefix", prefix);
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) call.query.emplace_back("upload-id-marker", id_marker);
    call.idempotent = true;
    call.deadline = deadline_after(options_.request_timeout);
    auto body = co_await perform_xml(std::move(call));
    if (!body) co_return std::move(body).error();
    auto page = s3::parse_list_multipart_uploads(*body);
    if (!page) co_return with_context(std::move(page).error(), "S3 list multipart uploads");
    for (auto& u : page->uploads) out.push_back(MultipartUploadRef{std::move(u.key), std::move(u.upload_id)});
    if (!page->is_truncated || (page->next_key_marker.empty() && page->next_upload_id_marker.empty())) co_return out;
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
}

// ---------------------------------------------------------------- reads, deletes, listings

Task<Result<ObjectInfo>> S3Store::get(std::string key, std::optional<ByteRange> range, ByteSink& sink) {
  Call call;
  call.method = "GET";
  call.key = key;
  if (range) {
    if (range->last && *range->last < range->first) {
      co_return Error(Errc::invalid_argument, "byte range ends before it starts");
    }
    std::string spec = "bytes=" + std::to_string(range->first) + "-";
    if (range->last) spec += std::to_string(*range->last);
    call.headers = {{"Range", std::move(spec)}};
  }
  call.idempotent = true;  // retried only until the head arrives: no byte reached the sink yet
  auto ex = co_await perform(call, deadline_after(options_.request_timeout));
  if (!ex) co_return std::move(ex).error();
  const ResponseHead& head = ex->head;
  uint64_t length = head.content_length.value_or(0);
  uint64_t total = length;
  if (head.status == 206) {
    auto t = content_range_total(head.header("content-range"));
    if (!t) {
      ex->conn->mark_broken();
      co_return Error(Errc::protocol_error, describe("GET", key) + ": 206 reply without a usable Content-Range");
    }
    total = *t;
  } else if (range && range->first != 0) {
    ex->conn->mark_broken();
    co_return Error(Errc::protocol_error, describe("GET", key) + ": the store ignored the Range header");
  }
  ObjectInfo info{total, unquote(head.header("etag")), std::string(head.header("content-type"))};
  if (auto st = co_await sink.begin(length, total, info.etag, info.content_type); !st) {
    ex->conn->mark_broken();
    co_return std::move(st).error();
  }
  for (;;) {
    auto span = co_await ex->conn->read_body(kNoDeadline);  // each receive is bounded by the io timeout
    if (!span) co_return with_context(std::move(span).error(), describe("GET", key));
    if (span->empty()) break;
    if (auto st = co_await sink.write(*span); !st) {
      ex->conn->mark_broken();
      co_return std::move(st).error();
    }
  }
  co_return info;
}

void S3Store::add_sse_headers(Call& call) const {
  if (options_.sse.empty()) return;
  call.headers.emplace_back("x-amz-server-side-encryption", options_.sse);
  if (!options_.sse_kms_key_id.empty())
    call.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.sse_kms_key_id);
}

Task<Result<ObjectInfo>> S3Store::head(std::string key) {
  Call call;
  call.method = "HEAD";
  call.key = key;
  call.idempotent = true;
  Deadline d = deadline_after(options_.request_timeout);
  auto ex = co_await perform(call, d);
  if (!ex) co_return std::move(ex).error();
  ObjectInfo info{ex->head.content_length.value_or(0), unquote(ex->head.header("etag")),
                  std::string(ex->head.header("content-type"))};
  std::string sse(ex->head.header("x-amz-server-side-encryption"));
  std::string kms_key(ex->head.header("x-amz-server-side-encryption-aws-kms-key-id"));
  if (auto st = co_await ex->conn->drain_body(0, d); !st) co_return with_context(std::move(st).error(), describe("HEAD", key));
  // An object stored otherwise than configured (another key, or none) is an error, not a
  // silently weaker copy. S3 reports a KMS key as its full ARN: a bare key id matches its tail.
  if (!options_.sse.empty()) {
    bool key_ok = options_.sse_kms_key_id.empty() || kms_key == options_.sse_kms_key_id ||
                  kms_key.ends_with("/" + options_.sse_kms_key_id);
    if (sse != options_.sse || !key_ok)
      co_return Error(Errc::internal, describe("HEAD", key) + ": stored with server-side encryption '" + sse +
                                          (kms_key.empty() ? "" : "' key '" + kms_key) + "', not the configured '" +
                                          options_.sse +
                                          (options_.sse_kms_key_id.empty() ? "" : "' key '" + options_.sse_kms_key_id) +
                                          "'");
  }
  co_return info;
}

Task<Status> S3Store::probe(Deadline deadline) {
  Call call;
  call.method = "HEAD";  // the bucket: exists, and these credentials may use it
  call.idempotent = true;
  auto ex = co_await perform(call, deadline);
  if (!ex) co_return std::move(ex).error();
  if (auto st = co_await ex->conn->drain_body(0, deadline); !st) co_return std::move(st).error();
  co_return Status();
}

Task<Status> S3Store::remove(std::string key) {
  Call call;
  call.method = "DELETE";
  call.key = key;
  call.idempotent = true;
  call.deadline = deadline_after(options_.request_timeout);
  auto body = co_await perform_xml(std::move(call));
  if (!body) co_return std::move(body).error();
  co_return Status();
}

Task<Result<std::vector<std::string>>> S3Store::list(std::string prefix) {
  std::vector<std::string> keys;
  std::string token;
  for (;;) {
    Call call;
    call.method = "GET";
    call.query = {{"list-type", "2"}};
    if (!prefix.empty()) call.query.emplace_back("prefix", prefix);
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    call.idempotent = true;
    call.deadline = deadline_after(options_.request_timeout);
    auto body = co_await perform_xml(std::move(call));
    if (!body) co_return std::move(body).error();
    auto page = s3::parse_list_objects_v2(*body);
    if (!page) co_return with_context(std::move(page).error(), "S3 list objects");
    for (auto& o : page->objects) keys.push_back(std::move(o.key));
    if (!page->is_truncated || page->next_continuation_token.empty()) co_return keys;
    token = std::move(page->next_continuation_token);
  }
}

Task<Status> S3Store::create_bucket() {
  Call call;
  call.method = "PUT";
  if (options_.endpoint.region != "us-east-1") {
    call.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
        options_.endpoint.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  call.idempotent = true;
  call.deadline = deadline_after(options_.request_timeout);
  auto body = co_await perform_xml(std::move(call));
  if (!body && body.error().detail != "BucketAlreadyOwnedByYou") co_return std::move(body).error();
  co_return Status();
}

// ---------------------------------------------------------------- presigned URLs

Result<PresignedUrl> S3Store::presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                                      int part_number, int64_t expires_seconds, int64_t now_unix,
                                      std::optional<uint64_t> content_length) {
  if (method == PresignMethod::get) content_length.reset();  // only an upload has a body to bind
  if (expires_seconds < options_.presign_min_expiry || expires_seconds > options_.presign_max_expiry) {
    return Error(Errc::invalid_argument, "presigned URL expiry must be between " +
                                             std::to_string(options_.presign_min_expiry) + " and " +
                                             std::to_string(options_.presign_max_expiry) + " seconds, got " +
                                             std::to_string(expires_seconds));
  }
  if (key.empty()) return Error(Errc::invalid_argument, "presigned URL needs an object key");
  auto target = s3::s3_target(options_.endpoint, key);
  if (!target) return std::move(target).error();
  std::string number = std::to_string(part_number);
  std::vector<s3::SigV4Param> query;
  if (method == PresignMethod::upload_part) {
    if (upload_id.empty()) return Error(Errc::invalid_argument, "presigned part URL needs an upload id");
    if (part_number < 1 || part_number > static_cast<int>(s3::kMaxPartNumber)) {
      return Error(Errc::invalid_argument, "part number " + number + " is outside 1..10000");
    }
    query = {{"partNumber", number}, {"uploadId", upload_id}};
  }
  std::string verb = method == PresignMethod::get ? "GET" : "PUT";
  auto qs = signer_.presign(verb, target->host_header, target->path, query, expires_seconds,
                            std::chrono::sys_seconds(std::chrono::seconds(now_unix)), content_length);
  if (!qs) return std::move(qs).error();
  PresignedUrl out;
  out.url = s3::s3_url(options_.endpoint, *target, *qs);
  out.method = std::move(verb);
  out.expires_at_unix = now_unix + expires_seconds;
  if (content_length) out.headers.emplace_back("Content-Length", std::to_string(*content_length));
  return out;
}

Result<PresignedUrl> S3Store::presign_get(const std::string& key, int64_t expires_seconds, int64_t now_unix,
                                          const ResponseOverrides& overrides) {
  if (expires_seconds < options_.presign_min_expiry || expires_seconds > options_.presign_max_expiry) {
    return Error(Errc::invalid_argument, "presigned URL expiry must be between " +
                                             std::to_string(options_.presign_min_expiry) + " and " +
                                             std::to_string(options_.presign_max_expiry) + " seconds, got " +
                                             std::to_string(expires_seconds));
  }
  if (key.empty()) return Error(Errc::invalid_argument, "presigned URL needs an object key");
  auto target = s3::s3_target(options_.endpoint, key);
  if (!target) return std::move(target).error();
  // S3 answers these in place of the object's headers, and they are part of the signed query.
  std::vector<s3::SigV4Param> query;
  if (!overrides.content_disposition.empty())
    query.push_back({"response-content-disposition", overrides.content_disposition});
  if (!overrides.content_type.empty()) query.push_back({"response-content-type", overrides.content_type});
  auto qs = signer_.presign("GET", target->host_header, target->path, query, expires_seconds,
                            std::chrono::sys_seconds(std::chrono::seconds(now_unix)));
  if (!qs) return std::move(qs).error();
  PresignedUrl out;
  out.url = s3::s3_url(options_.endpoint, *target, *qs);
  out.method = "GET";
  out.expires_at_unix = now_unix + expires_seconds;
  return out;
}

}  // namespace sluice
