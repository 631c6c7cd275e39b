#include "storage/service/auth/api_key.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sluice::auth {
namespace {

bool all_of_alphabet(std::string_view text, std::string_view alphabet) {
  return text.find_first_not_of(alphabet) == std::string_view::npos;
}

TEST(ApiKey, GeneratedKeyHasTheDocumentedShape) {
  auto key = generate_api_key();
  ASSERT_TRUE(key.ok()) << key.error().message;
  ASSERT_EQ(key->full_key.size(), kApiKeyChars);
  EXPECT_EQ(key->full_key.substr(0, 3), "sk_");
  EXPECT_EQ(key->full_key.substr(3, 8), key->prefix);
  EXPECT_EQ(key->full_key[11], '_');
  EXPECT_TRUE(all_of_alphabet(key->prefix, "abcdefghijklmnopqrstuvwxyz0123456789"));
  EXPECT_EQ(key->secret_hash.size(), 64u);
  EXPECT_TRUE(all_of_alphabet(key->secret_hash, "0123456789abcdef"));
  // The full key (and its secret) never appears in what is stored.
  EXPECT_EQ(key->secret_hash.find(key->full_key.substr(12)), std::string::npos);
}

TEST(ApiKey, ParsedSecretMatchesStoredHash) {
  auto key = generate_api_key();
  ASSERT_TRUE(key.ok());
  auto parsed = parse_api_key(key->full_key);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->prefix, key->prefix);
  EXPECT_EQ(parsed->secret.size(), kApiKeySecretChars);
  EXPECT_EQ(hash_api_key_secret(parsed->secret), key->secret_hash);
  EXPECT_TRUE(api_key_matches(parsed->secret, key->secret_hash));
}

TEST(ApiKey, KeysAreDistinct) {
  std::set<std::string> prefixes, secrets;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_api_key();
    ASSERT_TRUE(key.ok());
    prefixes.insert(key->prefix);
    secrets.insert(key->secret_hash);
  }
  EXPECT_EQ(secrets.size(), 200u);
  EXPECT_EQ(prefixes.size(), 200u);  // 36^8 values; a collision here means a broken RNG
}

TEST(ApiKey, SecretCharactersCoverBase62) {
  // 100 keys x 32 chars = 3200 draws over 62 symbols; each appears ~52 times, so a missing
  // symbol means a biased or truncated alphabet (chance of a false alarm ~ 62 * e^-52).
  std::set<char> seen;
  for (int i = 0; i < 100; ++i) {
    auto key = generate_api_key();
    ASSERT_TRUE(key.ok());
    for (char c : key->full_key.substr(12)) seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 62u);
}

TEST(ApiKey, KnownSecretHashesToItsSha256) {
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(hash_api_key_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(api_key_matches("abc", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

TEST(ApiKey, WrongSecretOrMalformedHashDoesNotMatch) {
  std::string hash = hash_api_key_secret("correct-secret");
  EXPECT_FALSE(api_key_matches("correct-secreT", hash));
  EXPECT_FALSE(api_key_matches("", hash));
  EXPECT_FALSE(api_key_matches("correct-secret", hash.substr(1)));
  EXPECT_FALSE(api_key_matches("correct-secret", ""));
  std::string bad = hash;
  bad[0] = 'g';
  EXPECT_FALSE(api_key_matches("correct-secret", bad));
}

TEST(ApiKey, MalformedKeysAreRejected) {
  const std::string good = "sk_abcd1234_" + std::string(32, 'Z');
  ASSERT_TRUE(parse_api_key(good).ok());
  auto rejects = [](std::string_view key) {
    auto r = parse_api_key(key);
    return !r.ok() && r.error().code == Errc::unauthenticated && r.error().message == "malformed api key";
  };
  EXPECT_TRUE(rejects(""));
  EXPECT_TRUE(rejects(good + "a"));                       // too long
  EXPECT_TRUE(rejects(good.substr(0, good.size() - 1)));  // too short
  EXPECT_TRUE(rejects("pk_abcd1234_" + std::string(32, 'Z')));
  EXPECT_TRUE(rejects("sk_ABCD1234_" + std::string(32, 'Z')));  // prefix is lower case
  EXPECT_TRUE(rejects("sk_abcd1234-" + std::string(32, 'Z')));
  EXPECT_TRUE(rejects("sk_abcd123_" + std::string(33, 'Z')));   // separator in the wrong place
  EXPECT_TRUE(rejects("sk_abcd1234_" + std::string(31, 'Z') + "+"));
  EXPECT_TRUE(rejects("sk_abcd1234_" + std::string(31, 'Z') + "_"));
  EXPECT_TRUE(rejects(std::string("sk_abcd1234_") + std::string(31, 'Z') + '\0'));
}

}  // namespace
}  // namespace sluice::auth
