#include "storage/store/local/key_path.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace sluice::local {
namespace {

TEST(KeyPath, MapsSluiceKeysReadably) {
  auto p = object_path_for_key("u/42/2024/05/01/01HXYZ");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p, "u/42/2024/05/01/01HXYZ~obj");
}

TEST(KeyPath, EncodesEveryByteOutsideTheSafeSet) {
  EXPECT_EQ(encode_segment("a b%~é"), "a%20b%25%7E%C3%A9");
  EXPECT_EQ(encode_segment("A-z_0.9"), "A-z_0.9");
  auto p = object_path_for_key("dir with space/f:1?");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "dir%20with%20space/f%3A1%3F~obj");
}

TEST(KeyPath, RefusesTraversalAndMalformedKeys) {
  const std::string bad[] = {"",      "/abs",   "..",     ".",        "a/../b", "a/./b", "a//b",
                             "a/",    "../x",   "x/..",   "a\\b",     "..\\x",  std::string("a\0b", 3),
                             "/",     "//",     std::string(1025, 'a'), std::string(252, 'a')};
  for (const std::string& key : bad) {
    auto p = object_path_for_key(key);
    EXPECT_FALSE(p.ok()) << "accepted: " << key;
    if (!p.ok()) {
      EXPECT_EQ(p.error().code, Errc::invalid_argument);
    }
  }
  // Longest accepted segments: 251 bytes for the object name (suffix included: 255).
  EXPECT_TRUE(object_path_for_key(std::string(251, 'a')).ok());
  EXPECT_TRUE(object_path_for_key(std::string(255, 'a') + "/x").ok());
  EXPECT_FALSE(object_path_for_key(std::string(256, 'a') + "/x").ok());
  // Dots inside names are fine; only whole "." / ".." segments are traversal.
  EXPECT_TRUE(object_path_for_key("a/.../b").ok());
  EXPECT_TRUE(object_path_for_key("a/..b/.c").ok());
}

TEST(KeyPath, DecodeInvertsEncodeAndRejectsOtherForms) {
  for (std::string s : {"abc", "a b", "%", "~", "\xff\x01", "..x"}) {
    auto d = decode_segment(encode_segment(s));
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(decode_segment("%41").has_value());  // 'A' is never escaped by us
  EXPECT_FALSE(decode_segment("%7e").has_value());  // lower-case hex is not ours
  EXPECT_FALSE(decode_segment("%7").has_value());
  EXPECT_FALSE(decode_segment("a~b").has_value());
  EXPECT_FALSE(decode_segment("a b").has_value());
}

// Property: over many random keys drawn from a hostile alphabet, every accepted key maps to a
// path no other key maps to, whose segments are never "." or "..", and which decodes back.
TEST(KeyPath, MappingIsCollisionFreeOverRandomKeys) {
  std::mt19937_64 rng(20240501);
  const std::string alphabet = std::string("aA0._-/%~ \\:\x01\x7f\xc3\xa9") + std::string(1, '\0');
  std::unordered_map<std::string, std::string> path_to_key;
  std::set<std::string> keys;
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string key;
    size_t len = 1 + rng() % 12;
    for (size_t j = 0; j < len; ++j) key.push_back(alphabet[rng() % alphabet.size()]);
    if (!keys.insert(key).second) continue;
    auto p = object_path_for_key(key);
    if (!p.ok()) continue;
    ++accepted;
    auto [it, inserted] = path_to_key.emplace(*p, key);
    ASSERT_TRUE(inserted) << "keys '" << it->second << "' and '" << key << "' share path " << *p;
    // Every segment is safe and decodes back to the key's segment.
    std::string rebuilt;
    size_t start = 0;
    while (true) {
      size_t slash = p->find('/', start);
      std::string seg = p->substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      bool last = slash == std::string::npos;
      ASSERT_NE(seg, ".");
      ASSERT_NE(seg, "..");
      ASSERT_EQ(seg.find('\0'), std::string::npos);
      ASSERT_EQ(seg.find('\\'), std::string::npos);
      if (last) {
        ASSERT_TRUE(seg.ends_with(kObjectSuffix));
        seg.resize(seg.size() - kObjectSuffix.size());
      } else {
        ASSERT_EQ(seg.find('~'), std::string::npos);  // directories never look like objects
      }
      auto d = decode_segment(seg);
      ASSERT_TRUE(d.has_value()) << seg;
      rebuilt += *d;
      if (last) break;
      rebuilt.push_back('/');
      start = slash + 1;
    }
    ASSERT_EQ(rebuilt, key);
  }
  EXPECT_GT(accepted, 50000);  // the property was exercised on many keys
}

TEST(KeyPath, PrefixStartFindsTheDirectoryAndPartialName) {
  auto s = prefix_start("u/42/20");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->dir, "u/42");
  EXPECT_EQ(s->key_prefix, "u/42/");
  EXPECT_EQ(s->partial, "20");
  s = prefix_start("");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->dir, "");
  EXPECT_EQ(s->partial, "");
  s = prefix_start("a b/");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->dir, "a%20b");
  EXPECT_EQ(s->partial, "");
  EXPECT_FALSE(prefix_start("../").has_value());
  EXPECT_FALSE(prefix_start("/u").has_value());
  EXPECT_FALSE(prefix_start("a//b").has_value());
}

}  // namespace
}  // namespace sluice::local
