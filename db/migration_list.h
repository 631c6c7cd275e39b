// The SQL migrations in db/migrations/, embedded into the binary at build time, in version order.
#pragma once

#include <span>
#include <string_view>

namespace sluice {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const Migration> embedded_migrations();

}  // namespace sluice
