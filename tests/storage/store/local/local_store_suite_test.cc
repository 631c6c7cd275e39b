// The store-agnostic ObjectStore suite (object_store_suite.h) run against LocalStore.
#include <stdlib.h>

#include <atomic>
#include <filesystem>

#include "storage/store/local/local_store.h"
#include "tests/storage/store/object_store_suite.h"

namespace sluice::testing {
namespace {

// One temp directory per test process, removed at the end; each store gets a fresh root in it.
class LocalRootEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string tmpl = std::filesystem::temp_directory_path() / "sluice-local-suite-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(base); }
  static inline std::string base;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new LocalRootEnvironment);

std::unique_ptr<ObjectStore> open_local_store(Reactor& r, std::shared_ptr<const local::MasterKeyRing> keys) {
  static std::atomic<int> next{0};
  local::LocalStoreOptions o;
  o.keys = std::move(keys);
  o.root = LocalRootEnvironment::base + "/store-" + std::to_string(next++);
  o.urls.secret = "local-suite-secret";
  o.urls.public_base_url = "http://127.0.0.1:8080";
  auto store = local::LocalStore::open(r, o);
  if (!store.ok()) {
    ADD_FAILURE() << "LocalStore::open: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

std::unique_ptr<ObjectStore> make_local_store(Reactor& r) { return open_local_store(r, nullptr); }

// The same contract with encryption at rest on: every path (puts, parts, joins, ranges) sealed.
std::unique_ptr<ObjectStore> make_encrypted_local_store(Reactor& r) {
  auto ring = std::make_shared<local::MasterKeyRing>();
  local::MasterKey key;
  key.fill(0x5a);
  EXPECT_TRUE(ring->add("suite-key", key).ok());
  return open_local_store(r, std::move(ring));
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreSuite,
                         ::testing::Values(ObjectStoreFactory{"local", &make_local_store},
                                           ObjectStoreFactory{"local_encrypted", &make_encrypted_local_store}),
                         ObjectStoreSuite::name_of);

}  // namespace sluice::testing
