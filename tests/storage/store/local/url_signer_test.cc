#include "storage/store/local/url_signer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sluice::local {
namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kUploadId = "0123456789abcdef0123456789abcdef";

LocalUrlSigner make_signer() {
  return LocalUrlSigner(LocalUrlSignerOptions{"test-secret-0123456789abcdef", "http://127.0.0.1:8080/", 60, 604800});
}

// The query parameters of a URL (values are never encoded by the signer).
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> q;
  size_t pos = url.find('?');
  while (pos != std::string::npos) {
    size_t amp = url.find('&', pos + 1);
    std::string kv = url.substr(pos + 1, amp == std::string::npos ? std::string::npos : amp - pos - 1);
    size_t eq = kv.find('=');
    q[kv.substr(0, eq)] = kv.substr(eq + 1);
    pos = amp;
  }
  return q;
}

TEST(LocalUrlSigner, PresignedGetVerifies) {
  LocalUrlSigner signer = make_signer();
  auto url = signer.presign(PresignMethod::get, "u/1/a b.txt", "", 0, 300, kNow);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->method, "GET");
  EXPECT_EQ(url->expires_at_unix, kNow + 300);
  EXPECT_TRUE(url->url.starts_with("http://127.0.0.1:8080/v1/local/objects/u/1/a%20b.txt?method=GET&expires=" +
                                   std::to_string(kNow + 300) + "&sig="))
      << url->url;
  auto q = query_of(url->url);
  EXPECT_EQ(q.count("upload_id"), 0u);
  EXPECT_EQ(q["sig"].size(), 64u);
  EXPECT_TRUE(signer.verify("GET", "u/1/a b.txt", "", 0, kNow + 300, q["sig"], kNow + 10).ok());
  EXPECT_TRUE(signer.verify("GET", "u/1/a b.txt", "", 0, kNow + 300, q["sig"], kNow + 300).ok());  // last second
}

TEST(LocalUrlSigner, PresignedPartCarriesUploadIdAndPart) {
  LocalUrlSigner signer = make_signer();
  auto url = signer.presign(PresignMethod::upload_part, "u/1/big", kUploadId, 7, 3600, kNow);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->method, "PUT");
  auto q = query_of(url->url);
  EXPECT_EQ(q["method"], "PUT");
  EXPECT_EQ(q["upload_id"], kUploadId);
  EXPECT_EQ(q["part"], "7");
  EXPECT_TRUE(signer.verify("PUT", "u/1/big", kUploadId, 7, std::stoll(q["expires"]), q["sig"], kNow).ok());
}

TEST(LocalUrlSigner, ExpiredUrlIsRefused) {
  LocalUrlSigner signer = make_signer();
  auto url = signer.presign(PresignMethod::put, "k", "", 0, 60, kNow);
  ASSERT_TRUE(url.ok());
  auto q = query_of(url->url);
  Status s = signer.verify("PUT", "k", "", 0, kNow + 60, q["sig"], kNow + 61);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::permission_denied);
  EXPECT_NE(s.error().message.find("expired"), std::string::npos);
}

TEST(LocalUrlSigner, TamperingAnyFieldFails) {
  LocalUrlSigner signer = make_signer();
  auto url = signer.presign(PresignMethod::upload_part, "u/1/big", kUploadId, 7, 3600, kNow);
  ASSERT_TRUE(url.ok());
  auto q = query_of(url->url);
  const std::string sig = q["sig"];
  const int64_t exp = kNow + 3600;
  ASSERT_TRUE(signer.verify("PUT", "u/1/big", kUploadId, 7, exp, sig, kNow).ok());
  std::string other_id = kUploadId;
  other_id[0] = '1';
  std::string flipped = sig;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  struct Case {
    const char* what;
    Status status;
  } cases[] = {
      {"method", signer.verify("GET", "u/1/big", kUploadId, 7, exp, sig, kNow)},
      {"key", signer.verify("PUT", "u/1/bif", kUploadId, 7, exp, sig, kNow)},
      {"upload id", signer.verify("PUT", "u/1/big", other_id, 7, exp, sig, kNow)},
      {"no upload id", signer.verify("PUT", "u/1/big", "", 7, exp, sig, kNow)},
      {"part", signer.verify("PUT", "u/1/big", kUploadId, 8, exp, sig, kNow)},
      {"expires", signer.verify("PUT", "u/1/big", kUploadId, 7, exp + 3600, sig, kNow)},
      {"signature", signer.verify("PUT", "u/1/big", kUploadId, 7, exp, flipped, kNow)},
      {"short signature", signer.verify("PUT", "u/1/big", kUploadId, 7, exp, sig.substr(0, 63), kNow)},
      {"empty signature", signer.verify("PUT", "u/1/big", kUploadId, 7, exp, "", kNow)},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.what;
    if (!c.status.ok()) {
      EXPECT_EQ(c.status.error().code, Errc::permission_denied) << c.what;
    }
  }
  // Another secret does not accept the URL either.
  LocalUrlSigner other(LocalUrlSignerOptions{"another-secret", "http://x", 60, 604800});
  EXPECT_FALSE(other.verify("PUT", "u/1/big", kUploadId, 7, exp, sig, kNow).ok());
}

TEST(LocalUrlSigner, ExpiryBoundsAreEnforced) {
  LocalUrlSigner signer = make_signer();
  for (int64_t bad : {int64_t{-1}, int64_t{0}, int64_t{59}, int64_t{604801}}) {
    auto url = signer.presign(PresignMethod::get, "k", "", 0, bad, kNow);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_EQ(url.error().code, Errc::invalid_argument);
  }
  EXPECT_TRUE(signer.presign(PresignMethod::get, "k", "", 0, 60, kNow).ok());
  EXPECT_TRUE(signer.presign(PresignMethod::get, "k", "", 0, 604800, kNow).ok());
  LocalUrlSigner narrow(LocalUrlSignerOptions{"s", "http://x", 10, 20});
  EXPECT_TRUE(narrow.presign(PresignMethod::get, "k", "", 0, 10, kNow).ok());
  EXPECT_FALSE(narrow.presign(PresignMethod::get, "k", "", 0, 21, kNow).ok());
}

TEST(LocalUrlSigner, RefusesBadInputsAndMissingSecret) {
  LocalUrlSigner signer = make_signer();
  EXPECT_EQ(signer.presign(PresignMethod::get, "../etc", "", 0, 60, kNow).error().code, Errc::invalid_argument);
  EXPECT_EQ(signer.presign(PresignMethod::upload_part, "k", "nope", 1, 60, kNow).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(signer.presign(PresignMethod::upload_part, "k", kUploadId, 0, 60, kNow).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(signer.presign(PresignMethod::upload_part, "k", kUploadId, 10001, 60, kNow).error().code,
            Errc::invalid_argument);
  LocalUrlSigner none(LocalUrlSignerOptions{});
  EXPECT_EQ(none.presign(PresignMethod::get, "k", "", 0, 60, kNow).error().code, Errc::unavailable);
  EXPECT_FALSE(none.verify("GET", "k", "", 0, kNow + 60, std::string(64, '0'), kNow).ok());
}

// A download URL binds its response overrides: each is in the URL and in the signature.
TEST(LocalUrlSigner, ResponseOverridesAreSigned) {
  LocalUrlSigner signer = make_signer();
  ResponseOverrides o;
  o.content_disposition = "inline; filename=\"a b.png\"";
  o.content_type = "image/png";
  auto url = signer.presign(PresignMethod::get, "u/1/k", "", 0, 300, kNow, std::nullopt, o);
  ASSERT_TRUE(url.ok()) << url.error().message;
  auto q = query_of(url->url);
  EXPECT_EQ(q["response-content-disposition"], "inline%3B%20filename%3D%22a%20b.png%22");
  EXPECT_EQ(q["response-content-type"], "image%2Fpng");
  EXPECT_TRUE(signer.verify("GET", "u/1/k", "", 0, kNow + 300, q["sig"], kNow, std::nullopt, o).ok());
  ResponseOverrides other = o;
  other.content_disposition = "attachment; filename=\"a b.png\"";
  EXPECT_FALSE(signer.verify("GET", "u/1/k", "", 0, kNow + 300, q["sig"], kNow, std::nullopt, other).ok());
  other = o;
  other.content_type = "text/html";
  EXPECT_FALSE(signer.verify("GET", "u/1/k", "", 0, kNow + 300, q["sig"], kNow, std::nullopt, other).ok());
  // Without the overrides, the same URL's signature does not hold.
  EXPECT_FALSE(signer.verify("GET", "u/1/k", "", 0, kNow + 300, q["sig"], kNow).ok());
  // Moving text between the two fields changes the signed form (each is length-prefixed).
  ResponseOverrides shifted;
  shifted.content_disposition = o.content_disposition + "\n10:image/png";
  EXPECT_FALSE(signer.verify("GET", "u/1/k", "", 0, kNow + 300, q["sig"], kNow, std::nullopt, shifted).ok());
  // An upload URL carries none, whatever is passed.
  auto put = signer.presign(PresignMethod::put, "u/1/k", "", 0, 300, kNow, std::nullopt, o);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->url.find("response-content"), std::string::npos);
}

}  // namespace
}  // namespace sluice::local
