#include <gtest/gtest.h>

#include <cerrno>

#include "core/result.h"

namespace sluice {
namespace {

// What callers branch on: a full disk (the local store's tmp/ on a full volume) is a shortage to
// retry later (503 + Retry-After at the API), not a failure of the store (502).
TEST(ErrnoError, FullDiskOrQuotaIsUnavailable) {
  EXPECT_EQ(errno_error("write tmp/x", -ENOSPC).code, Errc::unavailable);
  EXPECT_EQ(errno_error("write tmp/x", -EDQUOT).code, Errc::unavailable);
  Error e = errno_error("write tmp/x", ENOSPC);  // either sign
  EXPECT_EQ(e.code, Errc::unavailable);
  EXPECT_EQ(e.detail, std::to_string(ENOSPC));
  EXPECT_NE(e.message.find("write tmp/x: "), std::string::npos);
}

TEST(ErrnoError, OtherErrorsKeepTheirKinds) {
  EXPECT_EQ(errno_error("x", -EIO).code, Errc::io_error);
  EXPECT_EQ(errno_error("x", -ETIMEDOUT).code, Errc::timeout);
  EXPECT_EQ(errno_error("x", -ECONNRESET).code, Errc::closed);
  EXPECT_EQ(errno_error("x", -ECONNREFUSED).code, Errc::unavailable);
}

}  // namespace
}  // namespace sluice
