// Test helpers for db/: a reactor on the test thread running one coroutine to completion, the
// service URLs from the environment, and a fresh PostgreSQL database per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/reactor.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::testing {

// Runs `body(reactor)` as a task on a fresh reactor on this thread until it finishes.

// The value of an environment variable tools/test exports, or "" (the caller fails the test).
inline std::string service_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// `url` with its database name replaced by `db`.
inline std::string pg_url_with_db(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?', slash == std::string::npos ? 0 : slash);
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + db + tail;
}

inline std::string unique_db_name(const char* tag) {
  static std::atomic<int> counter{0};
  return "sluice_test_" + std::string(tag) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

// Creates (or with drop=true drops) database `db` through the superuser connection `admin_url`.
inline Task<Status> admin_database(Reactor& r, std::string admin_url, std::string db, bool drop) {
  PgOptions o;
  o.url = admin_url;
  o.connections = 1;
  PgPool admin(r, o);
  Status s = co_await admin.start();
  if (s) {
    std::string sql = drop ? "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)" : "CREATE DATABASE " + db;
    auto res = co_await admin.execute(sql);
    if (!res) s = std::move(res).error();
  }
  co_await admin.close();
  co_return s;
}

// A fresh database for one test, dropped at the end of the test.
class ScopedTestDatabase {
 public:
  explicit ScopedTestDatabase(const char* tag) : admin_url_(service_env("SLUICE_TEST_PG_URL")), name_(unique_db_name(tag)) {}
  ~ScopedTestDatabase() {
    if (!created_) return;
    run_reactor([this](Reactor& r) -> Task<void> { return drop_in(r); });
  }
  bool configured() const { return !admin_url_.empty(); }
  // Creates the database; false (with a test failure recorded) when that fails.
  bool create() {
    Status s = Error(Errc::internal, "not run");
    run_reactor([this, &s](Reactor& r) -> Task<void> { return create_into(r, &s); });
    EXPECT_TRUE(s.ok()) << s.error().message;
    created_ = s.ok();
    return created_;
  }
  std::string url() const { return pg_url_with_db(admin_url_, name_); }
  const std::string& name() const { return name_; }

 private:
  Task<void> create_into(Reactor& r, Status* out) { *out = co_await admin_database(r, admin_url_, name_, false); }
  Task<void> drop_in(Reactor& r) {
    Status s = co_await admin_database(r, admin_url_, name_, true);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  std::string admin_url_;
  std::string name_;
  bool created_ = false;
};

}  // namespace sluice::testing
