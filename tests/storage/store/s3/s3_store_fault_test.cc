// S3Store against a scripted fake peer: overload answers, broken and stalled connections.
// Every failure must come back as a typed error in bounded time, with no broken connection
// left in the pool, and streamed bodies must never be sent twice.
#include "storage/store/s3/s3_store.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/http/fake_http_peer.h"
#include "tests/storage/store/s3/s3_test_env.h"
#include "tests/storage/store/store_test_streams.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

std::string s3_error_reply(int status, const std::string& code) {
  return http_reply(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                                "</Code><Message>try later</Message><RequestId>r1</RequestId></Error>",
                    "Content-Type: application/xml\r\n");
}

std::unique_ptr<S3Store> fake_store(Reactor& r, const FakeHttpPeer& peer) {
  S3StoreOptions o = test_s3_options(peer.url(), "fake-bucket", "key", "secret");
  o.request_timeout = 300ms;
  o.pool.connection.io_timeout = 300ms;
  o.retry.max_attempts = 3;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  auto s = S3Store::create(r, o, peer.address());
  EXPECT_TRUE(s.ok());
  return s ? std::move(*s) : nullptr;
}

TEST(S3StoreFaults, SlowDownIsRetriedThenReportedTyped) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(s3_error_reply(503, "SlowDown"))});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    auto start = Clock::now();
    auto st = co_await store->remove("k");
    EXPECT_FALSE(st.ok());
    if (!st) {
      EXPECT_EQ(st.error().code, Errc::unavailable);
      EXPECT_EQ(st.error().detail, "SlowDown");
      EXPECT_NE(st.error().message.find("after 3 attempts"), std::string::npos) << st.error().message;
    }
    EXPECT_EQ(peer.requests().size(), 3u);
    EXPECT_LT(Clock::now() - start, 2s);
    // The replies were complete: the one connection stays pooled and sound.
    EXPECT_EQ(store->pool().stats().connects, 1u);
    EXPECT_LE(store->pool().total(), 1u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, InternalErrorThenSuccess) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(s3_error_reply(500, "InternalError")),
                          PeerAction::respond(http_reply(204, ""))});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    auto st = co_await store->remove("k");
    EXPECT_TRUE(st.ok()) << (st ? "" : st.error().message);
    EXPECT_EQ(peer.requests().size(), 2u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, FinalServerErrorIsNotRetried) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(s3_error_reply(501, "NotImplemented"))});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    auto st = co_await store->remove("k");
    EXPECT_FALSE(st.ok());
    if (!st) {
      EXPECT_EQ(st.error().detail, "NotImplemented");
    }
    EXPECT_EQ(peer.requests().size(), 1u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, StreamedPutIsNeverRetried) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond(s3_error_reply(503, "SlowDown"))});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    PatternSource src(1, 100000);
    auto put = co_await store->put("k", 100000, src, PutOptions());
    EXPECT_FALSE(put.ok());
    if (!put) {
      EXPECT_EQ(put.error().code, Errc::unavailable);
    }
    EXPECT_EQ(peer.requests().size(), 1u);
    EXPECT_EQ(src.produced(), 100000u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, PeerClosingMidBodyFailsPutAndDropsTheConnection) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::close_in_body(1000)});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    auto start = Clock::now();
    PatternSource src(1, 4 << 20);
    auto put = co_await store->put("k", 4 << 20, src, PutOptions());
    EXPECT_FALSE(put.ok());
    if (!put) {
      Errc c = put.error().code;
      EXPECT_TRUE(c == Errc::closed || c == Errc::io_error || c == Errc::timeout)
          << errc_name(c) << ": " << put.error().message;
    }
    EXPECT_LT(Clock::now() - start, 3s);
    EXPECT_EQ(peer.requests().size(), 1u);
    EXPECT_EQ(store->pool().total(), 0u);
    EXPECT_EQ(store->pool().idle(), 0u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, StalledPeerTimesOutInBoundedTime) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::hang()});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    auto start = Clock::now();
    StringSink sink;
    auto got = co_await store->get("k", std::nullopt, sink);
    EXPECT_FALSE(got.ok());
    if (!got) {
      EXPECT_EQ(got.error().code, Errc::timeout) << got.error().message;
    }
    // One request deadline of 300 ms bounds all attempts together.
    EXPECT_LT(Clock::now() - start, 2s);
    EXPECT_EQ(sink.begins, 0);
    EXPECT_EQ(store->pool().idle(), 0u);
    EXPECT_EQ(store->pool().total(), 0u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, BodyCutAfterTheFirstByteIsNotRetried) {
  run_reactor([](Reactor& r) -> Task<void> {
    FakeHttpPeer peer(r, {PeerAction::respond("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: \"e\"\r\n\r\n0123456789",
                                              /*close_after=*/true)});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    StringSink sink;
    auto got = co_await store->get("k", std::nullopt, sink);
    EXPECT_FALSE(got.ok());
    if (!got) {
      EXPECT_EQ(got.error().code, Errc::closed) << got.error().message;
    }
    EXPECT_EQ(sink.begins, 1);
    EXPECT_EQ(sink.bytes, "0123456789");
    EXPECT_EQ(peer.requests().size(), 1u);
    EXPECT_EQ(store->pool().total(), 0u);
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, RefusedConnectIsRetriedWithoutTouchingTheBody) {
  run_reactor([](Reactor& r) -> Task<void> {
    std::unique_ptr<S3Store> store;
    {
      FakeHttpPeer peer(r, {PeerAction::hang()});
      store = fake_store(r, peer);
      co_await peer.stop();
    }
    if (!store) co_return;
    PatternSource src(1, 1000);
    auto put = co_await store->put("k", 1000, src, PutOptions());
    EXPECT_FALSE(put.ok());
    if (!put) {
      EXPECT_EQ(put.error().code, Errc::unavailable) << put.error().message;
      EXPECT_NE(put.error().message.find("after 3 attempts"), std::string::npos) << put.error().message;
    }
    EXPECT_EQ(src.calls(), 0);
    co_await store->shutdown();
  });
}

TEST(S3StoreFaults, CompleteAnswering200WithAnErrorIsRetried) {
  run_reactor([](Reactor& r) -> Task<void> {
    std::string ok_xml =
        "<CompleteMultipartUploadResult><Location>l</Location><Bucket>fake-bucket</Bucket><Key>k</Key>"
        "<ETag>\"abc-1\"</ETag></CompleteMultipartUploadResult>";
    FakeHttpPeer peer(r, {PeerAction::respond(s3_error_reply(200, "InternalError")),
                          PeerAction::respond(http_reply(200, ok_xml))});
    auto store = fake_store(r, peer);
    if (!store) co_return;
    std::vector<PartInfo> parts(1, PartInfo{1, 10, "p1"});
    auto etag = co_await store->complete_multipart("k", "upload-1", parts);
    EXPECT_TRUE(etag.ok()) << (etag ? "" : etag.error().message);
    if (etag) {
      EXPECT_EQ(*etag, "abc-1");
    }
    EXPECT_EQ(peer.requests().size(), 2u);
    if (peer.requests().size() == 2) {
      EXPECT_NE(peer.requests()[1].head.find("POST /fake-bucket/k?uploadId=upload-1 HTTP/1.1"), std::string::npos)
          << peer.requests()[1].head;
    }
    co_await store->shutdown();
    co_await peer.stop();
  });
}

TEST(S3StoreFaults, OptionsAreChecked) {
  auto reactor = Reactor::create(0, ReactorOptions{});
  ASSERT_TRUE(reactor.ok());
  Reactor& r = **reactor;
  S3StoreOptions o = test_s3_options("http://127.0.0.1:9", "fake-bucket", "key", "secret");
  EXPECT_TRUE(S3Store::create(r, o).ok());
  o.presign_min_expiry = 10;
  o.presign_max_expiry = 700000;
  EXPECT_FALSE(S3Store::create(r, o).ok());
  o = test_s3_options("http://127.0.0.1:9", "fake-bucket", "key", "secret");
  o.part_size = 1024;
  EXPECT_FALSE(S3Store::create(r, o).ok());
  o = test_s3_options("https://127.0.0.1:9", "fake-bucket", "key", "secret");
  o.tls.ca_file = "/nonexistent/ca.pem";  // an https endpoint with a CA bundle that cannot be read
  auto tls = S3Store::create(r, o);
  EXPECT_FALSE(tls.ok());
  o.tls.ca_file.clear();  // the system store: accepted
  EXPECT_TRUE(S3Store::create(r, o).ok());
  o = test_s3_options("http://127.0.0.1:9", "fake-bucket", "", "");
  EXPECT_FALSE(S3Store::create(r, o).ok());
  o = test_s3_options("http://127.0.0.1:9", "Bad_Bucket", "key", "secret");
  EXPECT_FALSE(S3Store::create(r, o).ok());
}

// A presigned GET with response overrides is exactly what the AWS SDK makes for the same inputs
// (botocore 1.43 generate_presigned_url, get_object with ResponseContentDisposition and
// ResponseContentType, path style, time frozen at 2026-12-07T10:00:00Z): S3 accepts it, and
// since both overrides are in the signed query, changing either breaks the signature. (moto
// checks neither signatures nor expiry, and ignores the overrides: this is the proof we have.)
TEST(S3StorePresign, GetWithOverridesMatchesBotocore) {
  auto reactor = Reactor::create(0, ReactorOptions{});
  ASSERT_TRUE(reactor.ok());
  S3StoreOptions o = test_s3_options("http://127.0.0.1:9000", "bkt", "AKIDEXAMPLE",
                                     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  auto store = S3Store::create(**reactor, o);
  ASSERT_TRUE(store.ok());
  ResponseOverrides ro;
  ro.content_disposition = "inline; filename=\"photo.png\"; filename*=UTF-8''photo.png";
  ro.content_type = "image/png";
  const std::string key = "u/alice/2026/12/07/0e5c2f7e-1111-4222-8333-944455556666";
  auto url = (*store)->presign_get(key, 600, 1796637600, ro);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->method, "GET");
  EXPECT_EQ(url->expires_at_unix, 1796637600 + 600);
  const std::string base = "http://127.0.0.1:9000/bkt/" + key + "?";
  ASSERT_TRUE(url->url.starts_with(base)) << url->url;
  // botocore orders the parameters differently; the set (and so the canonical query) is the same.
  auto params = [](std::string q) {
    std::set<std::string> out;
    for (size_t at = 0; at <= q.size();) {
      size_t amp = q.find('&', at);
      if (amp == std::string::npos) amp = q.size();
      out.insert(q.substr(at, amp - at));
      at = amp + 1;
    }
    return out;
  };
  const std::string botocore =
      "response-content-disposition=inline%3B%20filename%3D%22photo.png%22%3B%20filename%2A%3DUTF-8%27%27photo.png"
      "&response-content-type=image%2Fpng&X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T100000Z"
      "&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=af2ceeccb3ece3798610cf054c0c05d11db7c0930c57fc5cae68010e3dd9fea0";
  EXPECT_EQ(params(url->url.substr(base.size())), params(botocore));
  // Another disposition is another signature.
  ro.content_disposition = "attachment; filename=\"photo.png\"; filename*=UTF-8''photo.png";
  auto other = (*store)->presign_get(key, 600, 1796637600, ro);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->url.find("af2ceeccb3ece3798610cf054c0c05d11db7c0930c57fc5cae68010e3dd9fea0"), std::string::npos);
  // The store's expiry bounds hold for downloads too.
  EXPECT_FALSE((*store)->presign_get(key, 59, 1796637600, ro).ok());
  EXPECT_FALSE((*store)->presign_get(key, 604801, 1796637600, ro).ok());
}

}  // namespace
}  // namespace sluice::testing
