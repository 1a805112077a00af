// The SQLite backend of SqlConnection (sql_connection.hpp).
#pragma once

#include <memory>
#include <string>

#include "storage/sql_connection.hpp"

namespace trend::storage {

std::unique_ptr<SqlConnection> ConnectSqlite(const std::string& path);

}  // namespace trend::storage
