// The PostgreSQL backend of SqlConnection (sql_connection.hpp), on libpq.
#pragma once

#include <memory>
#include <string>

#include "storage/sql_connection.hpp"

namespace trend::storage {

std::unique_ptr<SqlConnection> ConnectPostgres(const std::string& url);

}  // namespace trend::storage
