#include "storage/store/local/local_store.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/store/local/object_header.h"
#include "storage/store/stream_digest.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::local {
namespace {

namespace fs = std::filesystem;
using sluice::testing::run_reactor;
constexpr uint64_t kMiB = 1024 * 1024;

// Serves `data` in chunks of `chunk` bytes; fails instead of serving once `fail_at` bytes went.
class StringSource final : public ByteSource {
 public:
  StringSource(std::string data, size_t chunk, size_t fail_at = SIZE_MAX)
      : data_(std::move(data)), chunk_(chunk), fail_at_(fail_at) {}
  Task<Result<std::span<const char>>> next() override {
    ++calls_;
    if (pos_ >= fail_at_) co_return Error(Errc::closed, "client went away");
    size_t n = std::min(chunk_, data_.size() - pos_);
    std::span<const char> s(data_.data() + pos_, n);
    pos_ += n;
    co_return s;
  }
  int calls() const { return calls_; }

 private:
  std::string data_;
  size_t chunk_;
  size_t fail_at_;
  size_t pos_ = 0;
  int calls_ = 0;
};

// Collects what the store streams; records begin()'s arguments and the largest write.
class StringSink final : public ByteSink {
 public:
  Task<Status> begin(uint64_t range_size, uint64_t total_size, const std::string& etag,
                     const std::string& content_type) override {
    ++begins;
    this->range_size = range_size;
    this->total_size = total_size;
    this->etag = etag;
    this->content_type = content_type;
    co_return Status{};
  }
  Task<Status> write(std::span<const char> data) override {
    EXPECT_EQ(begins, 1);  // begin() comes first
    data_.append(data.data(), data.size());
    max_write = std::max(max_write, data.size());
    ++writes;
    co_return Status{};
  }
  int begins = 0;
  int writes = 0;
  size_t max_write = 0;
  uint64_t range_size = 0;
  uint64_t total_size = 0;
  std::string etag;
  std::string content_type;
  std::string data_;
};

std::string md5_hex(const std::string& data) {
  StreamDigest d(true, false);
  d.update(data);
  return d.finish().md5_hex;
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// g++ 12 destroys twice an aggregate temporary (PutOptions{...}, a defaulted `= {}`) passed by
// value inside a co_await expression, so options are always named variables here.
const PutOptions kDefaultPut;

Task<Result<PutResult>> put_string(ObjectStore& store, std::string key, std::string data, PutOptions opts,
                                   size_t chunk = 64 * 1024) {
  uint64_t size = data.size();
  StringSource src(std::move(data), chunk);
  co_return co_await store.put(std::move(key), size, src, std::move(opts));
}

Task<Result<PutResult>> put_string(ObjectStore& store, std::string key, std::string data) {
  co_return co_await put_string(store, std::move(key), std::move(data), kDefaultPut);
}

Task<Result<PartInfo>> put_part(ObjectStore& store, std::string key, std::string id, int n, std::string data) {
  uint64_t size = data.size();
  StringSource src(std::move(data), 64 * 1024);
  co_return co_await store.upload_part(std::move(key), std::move(id), n, size, src, kDefaultPut);
}

Task<Result<std::string>> get_string(ObjectStore& store, std::string key, std::optional<ByteRange> range = {}) {
  StringSink sink;
  auto info = co_await store.get(std::move(key), range, sink);
  if (!info.ok()) co_return std::move(info).error();
  co_return std::move(sink.data_);
}

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = fs::temp_directory_path() / "sluice-local-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/store";
  }
  void TearDown() override { fs::remove_all(dir_); }

  LocalStoreOptions options() const {
    LocalStoreOptions o;
    o.root = root_;
    o.urls.secret = "local-store-test-secret";
    o.urls.public_base_url = "http://127.0.0.1:9000";
    return o;
  }
  std::unique_ptr<LocalStore> open(Reactor& r, LocalStoreOptions o) const {
    auto s = LocalStore::open(r, std::move(o));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Regular files below root/sub (recursively).
  size_t files_in(const std::string& sub) const {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root_ + "/" + sub))
      if (e.is_regular_file()) ++n;
    return n;
  }
  size_t entries_in(const std::string& sub) const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(root_ + "/" + sub), fs::directory_iterator()));
  }

  std::string dir_;
  std::string root_;
};

TEST_F(LocalStoreTest, PutGetHeadRemove) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    const PutOptions opts{"text/plain", true, true};
    auto put = co_await put_string(*store, "u/1/2024/05/01/f1", "hello, world", opts, 5);
    if (!put.ok()) {
      ADD_FAILURE() << put.error().message;
      co_return;
    }
    EXPECT_EQ(put->size, 12u);
    EXPECT_EQ(put->etag, md5_hex("hello, world"));
    EXPECT_EQ(put->md5_hex, put->etag);
    EXPECT_EQ(put->sha256_hex, "09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b");

    StringSink sink;
    auto info = co_await store->get("u/1/2024/05/01/f1", std::nullopt, sink);
    EXPECT_TRUE(info.ok());
    EXPECT_EQ(sink.data_, "hello, world");
    EXPECT_EQ(sink.begins, 1);
    EXPECT_EQ(sink.range_size, 12u);
    EXPECT_EQ(sink.total_size, 12u);
    EXPECT_EQ(sink.etag, put->etag);
    EXPECT_EQ(sink.content_type, "text/plain");

    auto head = co_await store->head("u/1/2024/05/01/f1");
    EXPECT_TRUE(head.ok());
    if (head.ok()) {
      EXPECT_EQ(head->size, 12u);
      EXPECT_EQ(head->etag, put->etag);
      EXPECT_EQ(head->content_type, "text/plain");
    }
    EXPECT_TRUE((co_await store->remove("u/1/2024/05/01/f1")).ok());
    auto gone = co_await store->head("u/1/2024/05/01/f1");
    EXPECT_FALSE(gone.ok());
    if (!gone.ok()) {
      EXPECT_EQ(gone.error().code, Errc::not_found);
    }
    EXPECT_TRUE((co_await store->remove("u/1/2024/05/01/f1")).ok());  // missing is fine
    EXPECT_TRUE((co_await store->remove("never/was")).ok());
  });
  EXPECT_EQ(files_in("tmp"), 0u);
}

TEST_F(LocalStoreTest, PutReplacesAndHandlesEmptyObjects) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    EXPECT_TRUE((co_await put_string(*store, "k", "first version")).ok());
    EXPECT_TRUE((co_await put_string(*store, "k", "second")).ok());
    auto got = co_await get_string(*store, "k");
    EXPECT_TRUE(got.ok() && *got == "second");
    auto empty = co_await put_string(*store, "empty", "");
    EXPECT_TRUE(empty.ok() && empty->etag == "d41d8cd98f00b204e9800998ecf8427e");
    StringSink sink;
    auto info = co_await store->get("empty", std::nullopt, sink);
    EXPECT_TRUE(info.ok());
    EXPECT_EQ(sink.begins, 1);
    EXPECT_EQ(sink.writes, 0);
    const ByteRange first_byte{0, 0};
    auto ranged = co_await get_string(*store, "empty", first_byte);
    EXPECT_FALSE(ranged.ok());  // no byte of an empty object exists
  });
}

TEST_F(LocalStoreTest, GetMissingIsNotFound) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    StringSink sink;
    auto info = co_await store->get("u/9/nothing", std::nullopt, sink);
    EXPECT_FALSE(info.ok());
    if (!info.ok()) {
      EXPECT_EQ(info.error().code, Errc::not_found);
    }
    EXPECT_EQ(sink.begins, 0);
    // A key whose "directory" is an object is simply missing too.
    EXPECT_TRUE((co_await put_string(*store, "a", "x")).ok());
    auto under = co_await store->head("a/b");
    EXPECT_TRUE(!under.ok() && under.error().code == Errc::not_found);
  });
}

TEST_F(LocalStoreTest, RangesStreamInChunks) {
  LocalStoreOptions o = options();
  o.chunk_size = 4;
  run_reactor([this, o](Reactor& r) -> Task<void> {
    auto store = open(r, o);
    if (!store) co_return;
    const std::string data = "0123456789abcdefghij";
    EXPECT_TRUE((co_await put_string(*store, "r", data)).ok());
    struct Case {
      ByteRange range;
      std::string want;
    };
    const std::vector<Case> cases = {
        {{0, 4}, "01234"}, {{6, std::nullopt}, "6789abcdefghij"}, {{18, 100}, "ij"}, {{19, 19}, "j"}};
    for (const Case& c : cases) {
      StringSink sink;
      auto info = co_await store->get("r", c.range, sink);
      EXPECT_TRUE(info.ok());
      EXPECT_EQ(sink.data_, c.want);
      EXPECT_EQ(sink.range_size, c.want.size());
      EXPECT_EQ(sink.total_size, data.size());
      EXPECT_LE(sink.max_write, 4u);  // the fixed buffer, whatever the object size
    }
    StringSink whole;
    EXPECT_TRUE((co_await store->get("r", std::nullopt, whole)).ok());
    EXPECT_EQ(whole.writes, 5);
    for (ByteRange bad : std::vector<ByteRange>{{20, std::nullopt}, {5, 4}, {100, 200}}) {
      StringSink sink;
      auto info = co_await store->get("r", bad, sink);
      EXPECT_FALSE(info.ok());
      if (!info.ok()) {
        EXPECT_EQ(info.error().code, Errc::invalid_argument);
      }
      EXPECT_EQ(sink.begins, 0);
    }
  });
}

TEST_F(LocalStoreTest, WrongLengthOrFailingSourceLeavesNothing) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    {
      StringSource shorter("only ten b", 3);
      auto put = co_await store->put("u/1/short", 11, shorter, kDefaultPut);
      EXPECT_TRUE(!put.ok() && put.error().code == Errc::invalid_argument);
    }
    {
      StringSource longer("eleven byte", 4);
      auto put = co_await store->put("u/1/long", 10, longer, kDefaultPut);
      EXPECT_TRUE(!put.ok() && put.error().code == Errc::invalid_argument);
    }
    {
      StringSource failing(std::string(100, 'x'), 10, 50);
      auto put = co_await store->put("u/1/fail", 100, failing, kDefaultPut);
      EXPECT_TRUE(!put.ok() && put.error().code == Errc::closed);  // the source's error, unchanged
    }
    for (const char* key : {"u/1/short", "u/1/long", "u/1/fail"}) {
      auto h = co_await store->head(key);
      EXPECT_TRUE(!h.ok() && h.error().code == Errc::not_found) << key;
    }
  });
  EXPECT_EQ(entries_in("tmp"), 0u);
  EXPECT_EQ(files_in("objects"), 0u);
}

// Each chunk is on disk before the next one is pulled: the temp file holds header + every byte
// served so far whenever the source is asked for more.
class WatchingSource final : public ByteSource {
 public:
  WatchingSource(std::string tmp_dir, std::string data) : tmp_dir_(std::move(tmp_dir)), data_(std::move(data)) {}
  Task<Result<std::span<const char>>> next() override {
    if (pos_ > 0) {
      uint64_t on_disk = 0;
      for (const auto& e : fs::directory_iterator(tmp_dir_)) on_disk += e.file_size();
      EXPECT_EQ(on_disk, kObjectHeaderSize + pos_);
      ++checks;
    }
    size_t n = std::min<size_t>(1000, data_.size() - pos_);
    std::span<const char> s(data_.data() + pos_, n);
    pos_ += n;
    co_return s;
  }
  int checks = 0;

 private:
  std::string tmp_dir_;
  std::string data_;
  size_t pos_ = 0;
};

TEST_F(LocalStoreTest, ChunkIsWrittenBeforeTheNextIsPulled) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    WatchingSource src(root_ + "/" + store->temp_dir(), random_bytes(10'500, 1));
    auto put = co_await store->put("w", 10'500, src, kDefaultPut);
    EXPECT_TRUE(put.ok());
    EXPECT_EQ(src.checks, 11);
  });
}

TEST_F(LocalStoreTest, TraversalKeysAreRefusedAndTouchNothing) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    const std::vector<std::string> bad = {"../escape", "/etc/passwd", "a/../../b", "a//b", "a\\..\\b", std::string("a\0b", 3),
                               "", "a/", "./a", "u/1/.."};
    for (const std::string& key : bad) {
      auto put = co_await put_string(*store, key, "x");
      EXPECT_TRUE(!put.ok() && put.error().code == Errc::invalid_argument) << key;
      auto head = co_await store->head(key);
      EXPECT_TRUE(!head.ok() && head.error().code == Errc::invalid_argument) << key;
      StringSink sink;
      auto get = co_await store->get(key, std::nullopt, sink);
      EXPECT_TRUE(!get.ok() && get.error().code == Errc::invalid_argument) << key;
      auto rm = co_await store->remove(key);
      EXPECT_TRUE(!rm.ok() && rm.error().code == Errc::invalid_argument) << key;
      auto mp = co_await store->create_multipart(key, "a/b");
      EXPECT_TRUE(!mp.ok() && mp.error().code == Errc::invalid_argument) << key;
    }
  });
  EXPECT_EQ(entries_in("tmp"), 0u);
  EXPECT_EQ(entries_in("objects"), 0u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);  // only store/
}

TEST_F(LocalStoreTest, OddKeysRoundTripAndListBack) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    const std::vector<std::string> keys = {"a", "a/b", "u/1/x", "u/1/y", "u/10/z", "u/2/w", "sp ace/%2F/ü~", "..x/.y"};
    for (const std::string& k : keys) {
      auto put = co_await put_string(*store, k, "data of " + k);
      EXPECT_TRUE(put.ok()) << k;
    }
    for (const std::string& k : keys) {
      auto got = co_await get_string(*store, k);
      EXPECT_TRUE(got.ok() && *got == "data of " + k) << k;
    }
    auto all = co_await store->list("");
    std::vector<std::string> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_TRUE(all.ok() && *all == sorted);
    auto u1 = co_await store->list("u/1");
    EXPECT_TRUE(u1.ok() && *u1 == (std::vector<std::string>{"u/1/x", "u/1/y", "u/10/z"}));
    auto u1dir = co_await store->list("u/1/");
    EXPECT_TRUE(u1dir.ok() && *u1dir == (std::vector<std::string>{"u/1/x", "u/1/y"}));
    auto odd = co_await store->list("sp ace/%");
    EXPECT_TRUE(odd.ok() && *odd == (std::vector<std::string>{"sp ace/%2F/ü~"}));
    auto none = co_await store->list("../");
    EXPECT_TRUE(none.ok() && none->empty());
    auto missing = co_await store->list("nope/");
    EXPECT_TRUE(missing.ok() && missing->empty());
  });
}

TEST_F(LocalStoreTest, ContentTypeIsValidated) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    PutOptions opts;
    opts.content_type = "text/plain\r\nSet-Cookie: a=b";
    auto put = co_await put_string(*store, "k", "x", opts);
    EXPECT_TRUE(!put.ok() && put.error().code == Errc::invalid_argument);
  });
}

Task<void> put_and_check(ObjectStore& store, std::string key, std::string data, int& ok) {
  auto put = co_await put_string(store, key, data, kDefaultPut, 1000);
  if (!put.ok()) {
    ADD_FAILURE() << key << ": " << put.error().message;
    co_return;
  }
  auto got = co_await get_string(store, key);
  if (got.ok() && *got == data) ++ok;
}

TEST_F(LocalStoreTest, ConcurrentPutsOfDifferentKeys) {
  for (FsyncPolicy policy : {FsyncPolicy::on_commit, FsyncPolicy::none}) {
    LocalStoreOptions o = options();
    o.fsync = policy;
    run_reactor([this, o](Reactor& r) -> Task<void> {
      auto store = open(r, o);
      if (!store) co_return;
      TaskGroup group;
      int ok = 0;
      constexpr int kPuts = 64;
      for (int i = 0; i < kPuts; ++i) {
        // Several puts race to create the same new directories.
        std::string key = "u/" + std::to_string(i % 4) + "/2024/05/" + std::to_string(i % 3) + "/f" + std::to_string(i);
        spawn(put_and_check(*store, key, random_bytes(5000 + static_cast<size_t>(i) * 37, static_cast<uint64_t>(i)), ok),
              &group);
      }
      co_await group.wait();
      EXPECT_EQ(ok, kPuts);
      auto all = co_await store->list("u/");
      EXPECT_TRUE(all.ok() && all->size() == static_cast<size_t>(kPuts));
    });
    EXPECT_EQ(entries_in("tmp"), 0u);
    fs::remove_all(root_);
  }
}

TEST_F(LocalStoreTest, MultipartFiveFiveOneJoinsByteForByte) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());  // default 5 MiB minimum part size
    if (!store) co_return;
    const std::string key = "u/3/2024/05/01/big";
    auto id = co_await store->create_multipart(key, "video/mp4");
    if (!id.ok()) {
      ADD_FAILURE() << id.error().message;
      co_return;
    }
    EXPECT_TRUE(is_upload_id(*id));
    const std::vector<std::string> parts_data = {random_bytes(5 * kMiB, 11), random_bytes(5 * kMiB, 12), random_bytes(1, 13)};
    std::vector<PartInfo> parts;
    // Uploaded out of order, as parallel clients do.
    for (int n : {2, 3, 1}) {
      auto p = co_await put_part(*store, key, *id, n, parts_data[n - 1]);
      if (!p.ok()) {
        ADD_FAILURE() << p.error().message;
        co_return;
      }
      EXPECT_EQ(p->number, n);
      EXPECT_EQ(p->etag, md5_hex(parts_data[n - 1]));
    }
    auto listed = co_await store->list_parts(key, *id);
    EXPECT_TRUE(listed.ok());
    if (!listed.ok()) co_return;
    EXPECT_EQ(listed->size(), 3u);
    for (size_t i = 0; i < listed->size(); ++i) {
      EXPECT_EQ((*listed)[i].number, static_cast<int>(i) + 1);
      EXPECT_EQ((*listed)[i].size, parts_data[i].size());
      EXPECT_EQ((*listed)[i].etag, md5_hex(parts_data[i]));
      parts.push_back((*listed)[i]);
    }
    parts[0].etag = "\"" + parts[0].etag + "\"";  // quoted, as clients send them back
    auto uploads = co_await store->list_multipart_uploads("u/3/");
    EXPECT_TRUE(uploads.ok() && uploads->size() == 1 && (*uploads)[0].upload_id == *id && (*uploads)[0].key == key);

    auto etag = co_await store->complete_multipart(key, *id, parts);
    if (!etag.ok()) {
      ADD_FAILURE() << etag.error().message;
      co_return;
    }
    std::string md5s;
    for (const std::string& d : parts_data) {
      std::array<unsigned char, 16> raw{};
      from_hex(md5_hex(d), raw);
      md5s.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    }
    EXPECT_EQ(*etag, md5_hex(md5s) + "-3");

    StringSink sink;
    auto info = co_await store->get(key, std::nullopt, sink);
    EXPECT_TRUE(info.ok());
    EXPECT_EQ(sink.etag, *etag);
    EXPECT_EQ(sink.content_type, "video/mp4");
    EXPECT_EQ(sink.total_size, 10 * kMiB + 1);
    EXPECT_LE(sink.max_write, 256u * 1024);
    EXPECT_TRUE(sink.data_ == parts_data[0] + parts_data[1] + parts_data[2]) << "joined bytes differ";
    const ByteRange across{5 * kMiB - 2, 5 * kMiB + 1};
    auto tail = co_await get_string(*store, key, across);
    EXPECT_TRUE(tail.ok() && *tail == parts_data[0].substr(5 * kMiB - 2) + parts_data[1].substr(0, 2));

    auto after = co_await store->list_parts(key, *id);
    EXPECT_TRUE(!after.ok() && after.error().code == Errc::not_found);  // the upload is gone
  });
  EXPECT_EQ(entries_in("uploads"), 0u);
  EXPECT_EQ(entries_in("tmp"), 0u);
}

TEST_F(LocalStoreTest, CompleteValidatesPartsLikeS3) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());  // 5 MiB minimum
    if (!store) co_return;
    auto id = co_await store->create_multipart("k", "application/octet-stream");
    if (!id.ok()) co_return;
    auto p1 = co_await put_part(*store, "k", *id, 1, "small one");
    auto p2 = co_await put_part(*store, "k", *id, 2, "small two");
    if (!p1.ok() || !p2.ok()) {
      ADD_FAILURE();
      co_return;
    }
    struct Case {
      std::vector<PartInfo> parts;
      std::string detail;
    };
    const std::vector<Case> cases = {
        {{*p1, *p2}, "EntityTooSmall"},
        {{*p1, PartInfo{2, 9, std::string(32, '0')}}, "InvalidPart"},
        {{*p1, PartInfo{3, 9, p2->etag}}, "InvalidPart"},
        {{*p2, *p1}, "InvalidPartOrder"},
        {{*p1, *p1}, "InvalidPartOrder"},
        {{PartInfo{0, 1, p1->etag}}, "InvalidPart"},
        {{}, ""},
    };
    for (const Case& c : cases) {
      auto done = co_await store->complete_multipart("k", *id, c.parts);
      EXPECT_FALSE(done.ok()) << c.detail;
      if (done.ok()) continue;
      EXPECT_EQ(done.error().code, Errc::invalid_argument) << done.error().message;
      EXPECT_EQ(done.error().detail, c.detail) << done.error().message;
    }
    const std::vector<PartInfo> just_p1 = {*p1};
    auto wrong_key = co_await store->complete_multipart("other", *id, just_p1);
    EXPECT_TRUE(!wrong_key.ok() && wrong_key.error().code == Errc::not_found);
    // Failed completes change nothing: a valid single-part list still completes.
    auto head = co_await store->head("k");
    EXPECT_TRUE(!head.ok() && head.error().code == Errc::not_found);
    auto done = co_await store->complete_multipart("k", *id, just_p1);
    EXPECT_TRUE(done.ok());
    auto got = co_await get_string(*store, "k");
    EXPECT_TRUE(got.ok() && *got == "small one");
  });
  EXPECT_EQ(entries_in("tmp"), 0u);
  EXPECT_EQ(entries_in("uploads"), 0u);
}

TEST_F(LocalStoreTest, SmallPartsWithConfiguredMinimumAndReuploads) {
  LocalStoreOptions o = options();
  o.min_part_size = 4;
  o.chunk_size = 3;  // exercises the copy loop across part boundaries
  run_reactor([this, o](Reactor& r) -> Task<void> {
    auto store = open(r, o);
    if (!store) co_return;
    auto id = co_await store->create_multipart("m", "text/plain");
    if (!id.ok()) co_return;
    EXPECT_TRUE((co_await put_part(*store, "m", *id, 1, "AAAA-old")).ok());
    auto p1 = co_await put_part(*store, "m", *id, 1, "AAAA");  // replaces
    auto p2 = co_await put_part(*store, "m", *id, 2, "BBBBB");
    auto p3 = co_await put_part(*store, "m", *id, 3, "C");
    if (!p1.ok() || !p2.ok() || !p3.ok()) {
      ADD_FAILURE();
      co_return;
    }
    auto listed = co_await store->list_parts("m", *id);
    EXPECT_TRUE(listed.ok() && listed->size() == 3 && (*listed)[0].etag == md5_hex("AAAA"));
    // A part whose body is the wrong length leaves the previous part in place.
    StringSource bad("xy", 1);
    auto failed = co_await store->upload_part("m", *id, 2, 3, bad, kDefaultPut);
    EXPECT_TRUE(!failed.ok() && failed.error().code == Errc::invalid_argument);
    auto bad_number = co_await put_part(*store, "m", *id, 10001, "x");
    EXPECT_TRUE(!bad_number.ok() && bad_number.error().code == Errc::invalid_argument);
    const std::vector<PartInfo> all = {*p1, *p2, *p3};
    auto done = co_await store->complete_multipart("m", *id, all);
    EXPECT_TRUE(done.ok() && done->ends_with("-3"));
    auto got = co_await get_string(*store, "m");
    EXPECT_TRUE(got.ok() && *got == "AAAABBBBBC");
  });
  EXPECT_EQ(entries_in("tmp"), 0u);
}

TEST_F(LocalStoreTest, AbortLeavesNothingBehind) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    auto id = co_await store->create_multipart("u/5/a", "application/octet-stream");
    auto keep = co_await store->create_multipart("u/6/b", "application/octet-stream");
    if (!id.ok() || !keep.ok()) co_return;
    EXPECT_TRUE((co_await put_part(*store, "u/5/a", *id, 1, random_bytes(1000, 1))).ok());
    EXPECT_TRUE((co_await put_part(*store, "u/5/a", *id, 4, random_bytes(10, 2))).ok());
    auto wrong_key = co_await store->abort_multipart("u/5/other", *id);
    EXPECT_TRUE(!wrong_key.ok() && wrong_key.error().code == Errc::not_found);
    EXPECT_TRUE((co_await store->abort_multipart("u/5/a", *id)).ok());
    auto again = co_await store->abort_multipart("u/5/a", *id);
    EXPECT_TRUE(!again.ok() && again.error().code == Errc::not_found);
    auto parts = co_await store->list_parts("u/5/a", *id);
    EXPECT_TRUE(!parts.ok() && parts.error().code == Errc::not_found);
    auto late = co_await put_part(*store, "u/5/a", *id, 2, "late");
    EXPECT_TRUE(!late.ok() && late.error().code == Errc::not_found);
    auto bogus = co_await store->list_parts("u/5/a", "../../etc");
    EXPECT_TRUE(!bogus.ok() && bogus.error().code == Errc::not_found);
    auto uploads = co_await store->list_multipart_uploads("");
    EXPECT_TRUE(uploads.ok() && uploads->size() == 1 && (*uploads)[0].upload_id == *keep);
    EXPECT_TRUE((co_await store->abort_multipart("u/6/b", *keep)).ok());
  });
  EXPECT_EQ(entries_in("uploads"), 0u);
  EXPECT_EQ(entries_in("tmp"), 0u);
  EXPECT_EQ(entries_in("objects"), 0u);
}

// Serves one chunk, then tells `ready_fd` and blocks the process until it is killed: a put whose
// temp file is on disk when kill -9 arrives.
class StallingSource final : public ByteSource {
 public:
  explicit StallingSource(int ready_fd) : ready_fd_(ready_fd) {}
  Task<Result<std::span<const char>>> next() override {
    if (!served_) {
      served_ = true;
      co_return std::span<const char>(chunk_.data(), chunk_.size());
    }
    (void)::write(ready_fd_, "r", 1);
    while (true) ::pause();
  }

 private:
  int ready_fd_;
  bool served_ = false;
  std::string chunk_ = std::string(300'000, 's');
};

// Bytes of the regular files below root/tmp (the owners' lock files are empty).
uint64_t temp_bytes(const std::string& root) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root + "/tmp"))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// A process killed (-9) in the middle of a put leaves its temp file; the next store to open the
// root removes it before taking writes, and removes its own directory when it closes.
TEST_F(LocalStoreTest, TempFilesOfAKilledProcessAreSweptAtOpen) {
  fs::create_directories(root_);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    run_reactor([this, &ready](Reactor& r) -> Task<void> {
      auto store = LocalStore::open(r, options());
      if (!store.ok()) ::_exit(2);
      StallingSource src(ready[1]);
      (void)co_await (*store)->put("u/1/never", 1'000'000, src, kDefaultPut);
    });
    ::_exit(3);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);  // the first chunk is on disk
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(temp_bytes(root_), 300'000u);  // what the issue saw: the killed put's temp file

  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    EXPECT_EQ(temp_bytes(root_), 0u);
    EXPECT_EQ(entries_in("tmp"), 2u);  // this store's own lock file and directory
    EXPECT_TRUE((co_await put_string(*store, "u/1/after", "fine")).ok());
  });
  EXPECT_EQ(entries_in("tmp"), 0u);
  EXPECT_EQ(files_in("objects"), 1u);
}

// The janitor's sweep (on a worker thread) removes what dead owners left and leaves alone the
// temp files of live stores, in this process or another, and young loose files.
TEST_F(LocalStoreTest, SweepRemovesDeadOwnersFilesOnly) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto live = open(r, options());
    auto sweeper = open(r, options());
    if (!live || !sweeper) co_return;
    std::string tmp = root_ + "/tmp";
    std::ofstream(root_ + "/" + live->temp_dir() + "/in-flight") << "still being written";
    // A dead owner: its lock file exists but nobody holds the lock; a staging dir inside.
    std::string dead = "0123456789abcdef0123456789abcdef";
    fs::create_directories(tmp + "/" + dead + "/feedfacefeedfacefeedfacefeedface.upload");
    std::ofstream(tmp + "/" + dead + "/feedfacefeedfacefeedfacefeedface.upload/meta") << "m";
    std::ofstream(tmp + "/" + dead + "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") << std::string(1000, 'd');
    std::ofstream(tmp + "/" + dead + ".owner");
    // A directory whose lock file is gone (its owner died between the two removals).
    std::string orphan = "fedcba9876543210fedcba9876543210";
    fs::create_directories(tmp + "/" + orphan);
    std::ofstream(tmp + "/" + orphan + "/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") << "o";
    // Loose files from before owner directories: old ones go, a young one may still be written.
    std::ofstream(tmp + "/cccccccccccccccccccccccccccccccc") << "old";
    std::ofstream(tmp + "/dddddddddddddddddddddddddddddddd") << "young";
    auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    fs::last_write_time(tmp + "/cccccccccccccccccccccccccccccccc", two_hours_ago);

    auto swept = co_await sweeper->sweep_temp_files();
    EXPECT_TRUE(swept.ok()) << swept.error().message;
    // dead: a file, the staging dir and its meta, the dir, the lock; orphan: file + dir; old loose
    if (swept.ok()) {
      EXPECT_EQ(*swept, 8u);
    }
    EXPECT_FALSE(fs::exists(tmp + "/" + dead));
    EXPECT_FALSE(fs::exists(tmp + "/" + dead + ".owner"));
    EXPECT_FALSE(fs::exists(tmp + "/" + orphan));
    EXPECT_FALSE(fs::exists(tmp + "/cccccccccccccccccccccccccccccccc"));
    EXPECT_TRUE(fs::exists(tmp + "/dddddddddddddddddddddddddddddddd"));
    EXPECT_TRUE(fs::exists(root_ + "/" + live->temp_dir() + "/in-flight"));
    EXPECT_TRUE(fs::exists(root_ + "/" + sweeper->temp_dir()));
    // The live stores still write through their own directories.
    EXPECT_TRUE((co_await put_string(*live, "u/2/a", "a")).ok());
    EXPECT_TRUE((co_await put_string(*sweeper, "u/2/b", "b")).ok());
    auto again = co_await sweeper->sweep_temp_files();
    EXPECT_TRUE(again.ok() && *again == 0u);
  });
  EXPECT_EQ(files_in("objects"), 2u);
  EXPECT_EQ(entries_in("tmp"), 1u);  // the young loose file; both stores removed their own
}

TEST_F(LocalStoreTest, PresignedUrlsVerifyThroughTheStore) {
  run_reactor([this](Reactor& r) -> Task<void> {
    auto store = open(r, options());
    if (!store) co_return;
    auto url = store->presign(PresignMethod::get, "u/1/f", "", 0, 600, 1'700'000'000);
    EXPECT_TRUE(url.ok());
    if (!url.ok()) co_return;
    EXPECT_TRUE(url->url.starts_with("http://127.0.0.1:9000/v1/local/objects/u/1/f?method=GET&expires=1700000600&sig="));
    std::string sig = url->url.substr(url->url.find("sig=") + 4);
    EXPECT_TRUE(store->url_signer().verify("GET", "u/1/f", "", 0, 1'700'000'600, sig, 1'700'000'001).ok());
    EXPECT_FALSE(store->url_signer().verify("GET", "u/1/g", "", 0, 1'700'000'600, sig, 1'700'000'001).ok());
    auto too_long = store->presign(PresignMethod::get, "u/1/f", "", 0, 8 * 24 * 3600, 1'700'000'000);
    EXPECT_TRUE(!too_long.ok() && too_long.error().code == Errc::invalid_argument);
    co_return;
  });
}

}  // namespace
}  // namespace sluice::local
