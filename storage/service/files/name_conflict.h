// What happens when a file would take a name a live file of the same owner already has in that
// folder (DESIGN §4): refuse (409 name_conflict), replace the old file when the new one commits,
// or take the first free "name (n).ext".
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace sluice::service {

enum class OnConflict { fail, replace, rename };

// "fail", "replace" or "rename" ("" is fail); Reason::invalid_request otherwise.
Result<OnConflict> parse_on_conflict(std::string_view text);
std::string_view on_conflict_name(OnConflict c);

// "report.pdf", 2 -> "report (2).pdf"; "archive.tar.gz" -> "archive (2).tar.gz" (only the last
// extension moves: "archive.tar (2).gz" would hide the type); ".bashrc" -> ".bashrc (2)". Keeps
// the result within kMaxNameBytes by shortening the stem at a UTF-8 boundary.
std::string numbered_name(std::string_view name, int n);

// `name` if no live file of `owner` in `path` has it, else the first free numbered_name(name, n)
// for n = 1, 2, ... (one query). A concurrent writer may still take it first: the unique index
// then refuses the later one with name_conflict.
Task<Result<std::string>> first_free_name(PgPool& pg, std::string owner, std::string path, std::string name);

// A database error that is files_live_name_idx refusing a second live file with the same
// (owner, path, name) (SQLSTATE 23505, a writer that raced the checks) becomes
// Reason::name_conflict; any other error is returned as it is.
Error name_conflict_from(Error e);

}  // namespace sluice::service
