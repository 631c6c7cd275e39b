#include "storage/store/local/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include <openssl/crypto.h>

#include "core/file.h"
#include "core/log.h"
#include "storage/store/local/dir_listing.h"
#include "storage/store/local/key_path.h"
#include "storage/store/local/object_body_reader.h"
#include "storage/store/local/object_body_writer.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/object_sealing.h"
#include "storage/store/stream_digest.h"

namespace sluice::local {

std::string LocalStore::temp_path(std::string_view suffix) const {
  std::string p = owner_.dir();
  p.push_back('/');
  p += new_upload_id();
  p += suffix;
  return p;
}

namespace {

Result<std::string> object_file(std::string_view key) {
  auto rel = object_path_for_key(key);
  if (!rel.ok()) return std::move(rel).error();
  return std::string(kObjectsDir) + "/" + *rel;
}

Error no_such_object(std::string_view key) {
  return Error(Errc::not_found, "no object with key " + std::string(key), "NoSuchKey");
}

}  // namespace

namespace {

// Streams the body into the writer, one chunk written fully before the next is pulled: exactly
// `size` bytes when `exact`, otherwise at most `size` (the body's limit).
Task<Status> stream_body(ObjectBodyWriter& out, uint64_t size, bool exact, ByteSource& body, StreamDigest& digest,
                         uint64_t& written) {
  written = 0;
  while (true) {
    auto chunk = co_await body.next();
    if (!chunk.ok()) co_return std::move(chunk).error();
    if (chunk->empty()) break;
    if (chunk->size() > size - written) {
      if (exact)
        co_return Error(Errc::invalid_argument,
                        "body has more bytes than the declared size of " + std::to_string(size));
      co_return Error(Errc::limit_exceeded, "body exceeds the limit of " + std::to_string(size) + " bytes");
    }
    digest.update(*chunk);
    if (Status s = co_await out.write(*chunk); !s.ok()) co_return s;
    written += chunk->size();
  }
  if (exact && written != size)
    co_return Error(Errc::invalid_argument, "body ended after " + std::to_string(written) + " of the " +
                                                std::to_string(size) + " declared bytes");
  co_return co_await out.finish();
}

// Opens a file of the store and reads its header; the file stays open for the caller.
Task<Result<ObjectHeader>> open_with_header(Reactor& r, int root_fd, std::string path, File& out) {
  auto file = co_await File::open(r, root_fd, std::move(path), O_RDONLY);
  if (!file.ok()) co_return std::move(file).error();
  out = std::move(*file);
  co_return co_await read_object_header(out);
}

Status make_dir(int dirfd, const char* path) {
  if (::mkdirat(dirfd, path, 0755) != 0 && errno != EEXIST) return errno_error(std::string("mkdir ") + path, -errno);
  return {};
}

}  // namespace

Result<std::unique_ptr<LocalStore>> LocalStore::open(Reactor& reactor, LocalStoreOptions options) {
  if (options.root.empty()) return Error(Errc::invalid_argument, "local store root directory is not set");
  if (options.chunk_size == 0) return Error(Errc::invalid_argument, "local store chunk size must be positive");
  if (Status s = make_dir(AT_FDCWD, options.root.c_str()); !s.ok()) return s.error();
  int fd = ::open(options.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open local store root " + options.root, -errno);
  for (std::string_view sub : {kObjectsDir, kTmpDir, kUploadsDir}) {
    if (Status s = make_dir(fd, std::string(sub).c_str()); !s.ok()) {
      ::close(fd);
      return s.error();
    }
  }
  auto swept = sweep_abandoned_temp(fd, kTmpDir, ::time(nullptr));
  if (!swept.ok()) {
    ::close(fd);
    return std::move(swept).error();
  }
  if (swept->entries > 0)
    log_event(LogLevel::info, "local_temp_swept",
              {{"root", options.root}, {"entries", swept->entries}, {"bytes", swept->bytes}});
  auto owner = TempOwner::claim(fd, kTmpDir);
  if (!owner.ok()) {
    ::close(fd);
    return std::move(owner).error();
  }
  return std::unique_ptr<LocalStore>(new LocalStore(reactor, std::move(options), fd, std::move(*owner)));
}

LocalStore::LocalStore(Reactor& reactor, LocalStoreOptions options, int root_fd, TempOwner owner)
    : reactor_(reactor),
      options_(std::move(options)),
      root_fd_(root_fd),
      root_(reactor, root_fd),
      signer_(options_.urls),
      owner_(std::move(owner)) {}

LocalStore::~LocalStore() {
  sweeper_.reset();             // joins a sweep still running on root_fd_
  owner_ = TempOwner();         // removes the temp directory while root_fd_ is open
  ::close(root_fd_);
}

Task<Result<uint64_t>> LocalStore::sweep_temp_files() {
  if (!sweeper_) sweeper_ = std::make_unique<WorkerPool>(WorkerPoolOptions{.threads = 1, .max_queued = 1});
  int fd = root_fd_;
  auto swept = co_await sweeper_->run(reactor_, [fd] { return sweep_abandoned_temp(fd, kTmpDir, ::time(nullptr)); });
  if (!swept) co_return 0;  // a sweep is already queued; it does the same work
  if (!swept->ok()) co_return std::move(*swept).error();
  if ((*swept)->entries > 0)
    log_event(LogLevel::info, "local_temp_swept",
              {{"root", options_.root}, {"entries", (*swept)->entries}, {"bytes", (*swept)->bytes}});
  co_return (*swept)->entries;
}

Task<Result<LocalStore::Staged>> LocalStore::stage(uint64_t size, ByteSource& body, bool want_sha256,
                                                   std::string content_type) {
  co_return co_await stage_body(size, true, body, want_sha256, std::move(content_type));
}

Task<Result<LocalStore::Staged>> LocalStore::stage_body(uint64_t size, bool exact, ByteSource& body,
                                                        bool want_sha256, std::string content_type) {
  Staged st;
  st.tmp_path = temp_path();
  auto file = co_await File::open(reactor_, root_fd_, st.tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!file.ok()) co_return std::move(file).error();
  StreamDigest digest(true, want_sha256);  // MD5 always: it is the etag, as in S3
  uint64_t written = 0;
  std::optional<NewSealing> sealing;
  Status s = seal_if_keyed(options_.keys.get(), sealing);
  if (s.ok()) {
    ObjectBodyWriter out(*file, sealing ? kMaxObjectHeaderSize : kObjectHeaderSize,
                         sealing ? sealing->cipher.get() : nullptr);
    s = co_await stream_body(out, size, exact, body, digest, written);
  }
  if (s.ok()) {
    st.size = written;
    st.digest = digest.finish();
    // Named first: g++ 12 mishandles a braced temporary passed by value to a coroutine.
    ObjectHeader header{written, st.digest.md5_hex, content_type, std::nullopt};
    if (sealing) header.envelope = std::move(sealing->envelope);
    s = co_await write_object_header(*file, std::move(header));
  }
  if (s.ok() && options_.fsync == FsyncPolicy::on_commit) s = co_await file->sync();
  Status closed = co_await file->close();
  if (s.ok()) s = std::move(closed);
  if (!s.ok()) {
    co_await root_.unlink(st.tmp_path);
    co_return std::move(s).error();
  }
  co_return st;
}

Task<Status> LocalStore::publish(std::string tmp_path, std::string dest, bool create_parents) {
  int rc = co_await root_.rename(tmp_path, dest);
  bool created_parents = false;
  if (rc == -ENOENT && create_parents) {  // first object under this directory
    rc = co_await root_.mkdirs(parent_path(dest));
    if (rc == 0) rc = co_await root_.rename(tmp_path, dest);
    created_parents = true;
  }
  if (rc < 0) {
    co_await root_.unlink(tmp_path);
    if (rc == -ENOENT && !create_parents)
      co_return Error(Errc::not_found, "no such multipart upload (aborted or completed meanwhile)", "NoSuchUpload");
    co_return errno_error("rename " + tmp_path + " to " + dest, rc);
  }
  if (options_.fsync == FsyncPolicy::on_commit) {
    // The rename is durable once its directory is; new directories need their parents synced too.
    std::string dir = parent_path(dest);
    do {
      if (int s = co_await root_.sync_dir(dir); s < 0) co_return errno_error("fsync directory " + dir, s);
      dir = parent_path(dir);
    } while (created_parents && !dir.empty());
  }
  co_return Status{};
}

Task<Result<PutResult>> LocalStore::put(std::string key, uint64_t size, ByteSource& body, PutOptions opts) {
  co_return co_await put_staged(std::move(key), size, true, body, std::move(opts));
}

Task<Result<PutResult>> LocalStore::put_unknown_size(std::string key, uint64_t max_size, ByteSource& body,
                                                     PutOptions opts) {
  // The temp file absorbs any length: nothing to plan up front, only the limit to watch.
  co_return co_await put_staged(std::move(key), max_size, false, body, std::move(opts));
}

Task<Result<PutResult>> LocalStore::put_staged(std::string key, uint64_t size, bool exact, ByteSource& body,
                                               PutOptions opts) {
  auto dest = object_file(key);
  if (!dest.ok()) co_return std::move(dest).error();
  if (Status s = validate_content_type(opts.content_type); !s.ok()) co_return std::move(s).error();
  auto staged = co_await stage_body(size, exact, body, opts.want_sha256, opts.content_type);
  if (!staged.ok()) co_return std::move(staged).error();
  if (Status s = co_await publish(staged->tmp_path, *dest, true); !s.ok()) co_return std::move(s).error();
  PutResult r;
  r.size = staged->size;
  r.etag = staged->digest.md5_hex;
  if (opts.want_md5) r.md5_hex = staged->digest.md5_hex;
  if (opts.want_sha256) r.sha256_hex = staged->digest.sha256_hex;
  co_return r;
}

Task<Result<ObjectInfo>> LocalStore::head(std::string key) {
  auto path = object_file(key);
  if (!path.ok()) co_return std::move(path).error();
  File file;
  auto header = co_await open_with_header(reactor_, root_fd_, *path, file);
  (void)co_await file.close();
  if (!header.ok()) {
    if (header.error().code == Errc::not_found) co_return no_such_object(key);
    co_return std::move(header).error();
  }
  co_return ObjectInfo{header->size, header->etag, header->content_type};
}

namespace {

// Streams [first, first + count) of the body into the sink. The first bytes are read (and, when
// sealed, authenticated) before sink.begin: a damaged object fails before any header goes out.
Task<Status> copy_to_sink(File& file, const ObjectHeader& header, SegmentCipher* cipher, uint64_t first,
                          uint64_t count, size_t chunk, ByteSink& sink) {
  ObjectBodyReader reader(file, header, cipher, chunk, first, count);
  auto bytes = co_await reader.next();
  if (!bytes.ok()) co_return std::move(bytes).error();
  if (Status s = co_await sink.begin(count, header.size, header.etag, header.content_type); !s.ok()) co_return s;
  while (!bytes->empty()) {
    if (Status s = co_await sink.write(*bytes); !s.ok()) co_return s;
    bytes = co_await reader.next();
    if (!bytes.ok()) co_return std::move(bytes).error();
  }
  co_return Status{};
}

}  // namespace

Task<Result<ObjectInfo>> LocalStore::get(std::string key, std::optional<ByteRange> range, ByteSink& sink) {
  auto path = object_file(key);
  if (!path.ok()) co_return std::move(path).error();
  File file;
  auto header = co_await open_with_header(reactor_, root_fd_, *path, file);
  if (!header.ok()) {
    (void)co_await file.close();
    if (header.error().code == Errc::not_found) co_return no_such_object(key);
    co_return std::move(header).error();
  }
  uint64_t first = 0;
  uint64_t count = header->size;
  if (range) {
    uint64_t last = std::min<uint64_t>(range->last.value_or(UINT64_MAX), header->size == 0 ? 0 : header->size - 1);
    if (range->first >= header->size || (range->last && *range->last < range->first)) {
      (void)co_await file.close();
      co_return Error(Errc::invalid_argument,
                      "range is not satisfiable for an object of " + std::to_string(header->size) + " bytes",
                      "InvalidRange");
    }
    first = range->first;
    count = last - first + 1;
  }
  auto cipher = cipher_for(options_.keys.get(), *header);
  Status s = cipher.ok() ? Status{} : Status(std::move(cipher).error());
  if (s.ok()) s = co_await copy_to_sink(file, *header, cipher->get(), first, count, options_.chunk_size, sink);
  Status closed = co_await file.close();
  if (s.ok()) s = std::move(closed);
  if (!s.ok()) co_return std::move(s).error();
  co_return ObjectInfo{header->size, header->etag, header->content_type};
}

Task<Result<RekeyOutcome>> LocalStore::rekey_object(std::string key) {
  if (!options_.keys) co_return Error(Errc::invalid_argument, "rekeying needs the master keys (SLUICE_ENCRYPTION=on)");
  auto path = object_file(key);
  if (!path.ok()) co_return std::move(path).error();
  auto file = co_await File::open(reactor_, root_fd_, *path, O_RDWR);
  if (!file.ok()) co_return file.error().code == Errc::not_found ? no_such_object(key) : std::move(file).error();
  auto header = co_await read_object_header(*file);
  Result<RekeyOutcome> outcome = RekeyOutcome::plain;
  if (!header.ok()) {
    outcome = std::move(header).error();
  } else if (header->envelope && header->envelope->key_id != options_.keys->current_id()) {
    Envelope& env = *header->envelope;
    auto data_key = options_.keys->unwrap(env.key_id, env.wrapped_key);
    auto wrapped = data_key.ok() ? options_.keys->wrap(*data_key) : Result<WrappedKey>(data_key.error());
    if (data_key.ok()) OPENSSL_cleanse(data_key->data(), data_key->size());
    if (!wrapped.ok()) {
      outcome = std::move(wrapped).error();
    } else {
      env.key_id = options_.keys->current_id();
      env.wrapped_key = *wrapped;
      // One aligned 128-byte write inside the first page: it lands whole or not at all in
      // practice, and the old envelope stays valid until it does.
      std::array<char, kEnvelopeSize> bytes;
      encode_envelope(env, bytes);
      Status s = co_await file->write_all(bytes, kObjectHeaderSize);
      if (s.ok()) s = co_await file->sync();
      outcome = s.ok() ? Result<RekeyOutcome>(RekeyOutcome::rewrapped) : Result<RekeyOutcome>(std::move(s).error());
    }
  } else if (header->envelope) {
    outcome = RekeyOutcome::already_current;
  }
  (void)co_await file->close();
  co_return outcome;
}

Task<Status> LocalStore::remove(std::string key) {
  auto path = object_file(key);
  if (!path.ok()) co_return std::move(path).error();
  int rc = co_await root_.unlink(*path);
  if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR) co_return errno_error("unlink " + *path, rc);
  co_return Status{};
}

namespace {

// Depth-first walk collecting keys; `partial` filters the first level only.
Status walk(int root_fd, const std::string& dir, const std::string& key_prefix, const std::string& partial,
            std::vector<std::string>& out) {
  auto entries = list_directory(root_fd, dir);
  if (!entries.ok()) return entries.error().code == Errc::not_found ? Status{} : Status(std::move(entries).error());
  for (const DirEntry& e : *entries) {
    std::string_view name = e.name;
    bool object = !e.is_dir && name.ends_with(kObjectSuffix);
    if (object) name.remove_suffix(kObjectSuffix.size());
    if (!object && !e.is_dir) continue;  // not ours
    auto seg = decode_segment(name);
    if (!seg || !seg->starts_with(partial)) continue;
    if (object) {
      out.push_back(key_prefix + *seg);
    } else if (Status s = walk(root_fd, dir + "/" + e.name, key_prefix + *seg + "/", {}, out); !s.ok()) {
      return s;
    }
  }
  return {};
}

}  // namespace

Task<Status> LocalStore::probe(Deadline) {
  // What every put does first: a new file in tmp/ (same filesystem as objects/), written.
  std::string path = temp_path(".probe");
  auto file = co_await File::open(reactor_, root_fd_, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!file) co_return std::move(file).error();
  static constexpr char kByte[1] = {'p'};
  Status wrote = co_await file->write_all(std::span<const char>(kByte, 1), 0);
  Status closed = co_await file->close();
  int removed = co_await root_.unlink(path);
  if (!wrote.ok()) co_return wrote;
  if (!closed.ok()) co_return closed;
  if (removed < 0) co_return errno_error("unlink " + path, removed);
  co_return Status();
}

Task<Result<std::vector<std::string>>> LocalStore::list(std::string prefix) {
  std::vector<std::string> keys;
  auto start = prefix_start(prefix);
  if (!start) co_return keys;  // no valid key has this prefix
  std::string dir(kObjectsDir);
  if (!start->dir.empty()) dir += "/" + start->dir;
  if (Status s = walk(root_fd_, dir, start->key_prefix, start->partial, keys); !s.ok()) co_return std::move(s).error();
  std::sort(keys.begin(), keys.end());
  co_return keys;
}

Result<PresignedUrl> LocalStore::presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                                         int part_number, int64_t expires_seconds, int64_t now_unix,
                                         std::optional<uint64_t> content_length) {
  return signer_.presign(method, key, upload_id, part_number, expires_seconds, now_unix, content_length);
}

Result<PresignedUrl> LocalStore::presign_get(const std::string& key, int64_t expires_seconds, int64_t now_unix,
                                             const ResponseOverrides& overrides) {
  return signer_.presign(PresignMethod::get, key, "", 0, expires_seconds, now_unix, std::nullopt, overrides);
}

}  // namespace sluice::local
