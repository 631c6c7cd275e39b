// Share tokens without a server: link tokens (256 bits, base64url, hashed) and unlock access
// tokens (HMAC-signed, bound to one share and password version, expiring, tamper-evident).
#include "storage/service/shares/share_token.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::service {
namespace {

TEST(ShareToken, RandomUrlSafeAndStoredAsSha256Hex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = generate_share_token();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->token.size(), 43u);
    EXPECT_EQ(t->token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(t->hash, share_token_hash(t->token));
    EXPECT_EQ(t->hash.size(), 64u);
    EXPECT_TRUE(seen.insert(t->token).second);
  }
  // SHA-256("abc")
  EXPECT_EQ(share_token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ShareToken, AccessTokensAreBoundSignedAndExpire) {
  auto key = derive_share_access_key("a-url-secret-of-at-least-32-bytes-long");
  ASSERT_TRUE(key.ok());
  auto same = derive_share_access_key("a-url-secret-of-at-least-32-bytes-long");
  EXPECT_EQ(*key, *same);  // every instance with the secret derives the same key
  EXPECT_NE(*key, "a-url-secret-of-at-least-32-bytes-long");
  ShareAccess a{"7d1c2f4e-0000-4000-8000-000000000001", 3, 2000};
  std::string t = sign_share_access(*key, a);
  auto got = verify_share_access(*key, t, 1999);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->share_id, a.share_id);
  EXPECT_EQ(got->password_version, 3);
  EXPECT_FALSE(verify_share_access(*key, t, 2000).has_value());  // expired
  auto other_key = derive_share_access_key("another-url-secret-of-32-bytes-or-more");
  EXPECT_FALSE(verify_share_access(*other_key, t, 1000).has_value());
  std::string tampered = t;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_share_access(*key, tampered, 1000).has_value());
  EXPECT_FALSE(verify_share_access(*key, "", 1000).has_value());
  EXPECT_FALSE(verify_share_access(*key, "no-dot", 1000).has_value());
  auto random1 = derive_share_access_key("");
  auto random2 = derive_share_access_key("");
  EXPECT_NE(*random1, *random2);
}

}  // namespace
}  // namespace sluice::service
