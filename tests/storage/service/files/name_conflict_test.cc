// The name-conflict rules without a database: onConflict values, numbered names, and which
// database errors count as a name conflict (the real index's error is covered end to end by
// tests/storage/api/name_conflict_api_test.cc).
#include "storage/service/files/name_conflict.h"

#include <gtest/gtest.h>

#include "storage/service/domain_error.h"

namespace sluice::service {
namespace {

// A unique violation as db/pg_error.cc reports it.
Error unique_violation(const std::string& constraint) {
  Error e(Errc::already_exists,
          "PostgreSQL: duplicate key value violates unique constraint \"" + constraint +
              "\" (Key (owner, path, name)=(u, /, a.txt) already exists.)",
          "23505");
  e.public_message = "that already exists";
  return e;
}

TEST(OnConflict, ParsesTheThreeModes) {
  EXPECT_EQ(*parse_on_conflict(""), OnConflict::fail);
  EXPECT_EQ(*parse_on_conflict("fail"), OnConflict::fail);
  EXPECT_EQ(*parse_on_conflict("replace"), OnConflict::replace);
  EXPECT_EQ(*parse_on_conflict("rename"), OnConflict::rename);
  auto bad = parse_on_conflict("Replace");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "invalid_request");
}

TEST(NumberedName, NumbersBeforeTheLastExtension) {
  EXPECT_EQ(numbered_name("a.txt", 1), "a (1).txt");
  EXPECT_EQ(numbered_name("archive.tar.gz", 2), "archive.tar (2).gz");
  EXPECT_EQ(numbered_name(".bashrc", 3), ".bashrc (3)");
  EXPECT_EQ(numbered_name("README", 4), "README (4)");
}

TEST(NameConflictFrom, TheLiveNameIndexBecomesNameConflict) {
  Error e = name_conflict_from(unique_violation("files_live_name_idx"));
  EXPECT_EQ(e.reason, "name_conflict");
  EXPECT_EQ(e.code, Errc::conflict);
  EXPECT_EQ(e.message.find("duplicate key"), std::string::npos) << "the row's values must not reach a client";
  EXPECT_TRUE(is_name_conflict(e));
  EXPECT_TRUE(is_name_conflict(unique_violation("files_live_name_idx")));
}

TEST(NameConflictFrom, OtherErrorsStayAsTheyAre) {
  Error other_index = name_conflict_from(unique_violation("files_object_key_key"));
  EXPECT_EQ(other_index.reason, "");
  EXPECT_EQ(other_index.code, Errc::already_exists);
  EXPECT_FALSE(is_name_conflict(other_index));
  // A file named after the index, in another constraint's DETAIL, is not the index.
  Error in_detail(Errc::already_exists,
                  "PostgreSQL: duplicate key value violates unique constraint \"files_object_key_key\" "
                  "(Key (object_key)=(files_live_name_idx) already exists.)",
                  "23505");
  EXPECT_FALSE(is_name_conflict(in_detail));
  Error timeout = name_conflict_from(Error(Errc::timeout, "the database did not answer in time", "57014"));
  EXPECT_EQ(timeout.code, Errc::timeout);
  EXPECT_FALSE(is_name_conflict(timeout));
}

TEST(NameConflictError, CarriesPathNameAndTheExistingFile) {
  Error e = name_conflict_error("/docs", "a \"b\".txt", "0b6f6d0e-5c1c-4a57-9f0e-3a4c2c1d9e11");
  EXPECT_EQ(e.reason, "name_conflict");
  EXPECT_EQ(e.details_json,
            "{\"path\":\"/docs\",\"name\":\"a \\\"b\\\".txt\",\"existingFileId\":\"0b6f6d0e-5c1c-4a57-9f0e-3a4c2c1d9e11\"}");
  EXPECT_EQ(name_conflict_error("/", "x", "").details_json, "{\"path\":\"/\",\"name\":\"x\"}");
}

}  // namespace
}  // namespace sluice::service
