#include "data/database_source.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "error/input_error.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_connection.hpp"

namespace trend {

ReturnsFrame LoadReturnsDatabase(const DatabaseSource& source) {
  const bool identifier =
      !source.table.empty() && !std::isdigit(static_cast<unsigned char>(source.table[0])) &&
      std::all_of(source.table.begin(), source.table.end(),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (!identifier) {
    throw InputError(
        fmt::format("data.table '{}': expected a table name (letters, digits, _)", source.table));
  }
  auto connection = storage::Connect(source.url);
  storage::Migrate(*connection, storage::TrendSchema());
  const std::vector<storage::SqlValue> stream = {source.stream};
  const auto rows = connection->Query(
      fmt::format("SELECT date, fund, source, value FROM {} WHERE stream = ? ORDER BY date",
                  source.table),
      stream);
  if (rows.empty()) {
    throw InputError(
        fmt::format("{}: table {} holds no returns for stream '{}' (load them with "
                    "trend ingest --format returns --stream {})",
                    connection->name(), source.table, source.stream, source.stream));
  }
  // Columns: the order the feed first named the funds, then any others by name.
  std::vector<std::string> columns;
  std::unordered_map<std::string, std::size_t> column_of;
  for (const auto& row :
       connection->Query("SELECT fund FROM funds WHERE stream = ? ORDER BY seq", stream)) {
    const std::string fund = storage::AsText(row[0]);
    column_of.emplace(fund, columns.size());
    columns.push_back(fund);
  }
  std::vector<std::string> extra;
  for (const auto& row : rows) {
    const std::string fund = storage::AsText(row[1]);
    if (!column_of.contains(fund)) {
      column_of.emplace(fund, std::numeric_limits<std::size_t>::max());
      extra.push_back(fund);
    }
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& fund : extra) {
    column_of[fund] = columns.size();
    columns.push_back(fund);
  }
  // Dates, and the value (and its source) of every (date, fund).
  std::vector<Date> dates;
  std::map<std::pair<std::size_t, std::size_t>, std::pair<double, std::string>> cells;
  for (const auto& row : rows) {
    const std::string date_text = storage::AsText(row[0]);
    const auto date = ParseDate(date_text);
    if (!date) {
      throw InputError(fmt::format("{}: table {} has a date '{}' that is not YYYY-MM-DD",
                                   connection->name(), source.table, date_text));
    }
    if (dates.empty() || dates.back() != *date) dates.push_back(*date);
    const std::size_t column = column_of.at(storage::AsText(row[1]));
    const double value = storage::IsNull(row[3]) ? std::numeric_limits<double>::quiet_NaN()
                                                 : storage::AsReal(row[3]);
    const std::string feed = storage::AsText(row[2]);
    const auto [it, inserted] = cells.try_emplace({dates.size() - 1, column}, value, feed);
    const bool same =
        (std::isnan(it->second.first) && std::isnan(value)) || it->second.first == value;
    if (!inserted && !same) {
      throw InputError(fmt::format(
          "{}: stream '{}' gives {} {} two values, from sources '{}' and '{}': load each source "
          "into its own stream (trend ingest --stream) and name one in data.stream",
          connection->name(), source.stream, date_text, columns[column], it->second.second, feed));
    }
  }
  ReturnsFrame frame;
  frame.dates = std::move(dates);
  frame.columns = std::move(columns);
  frame.values = Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(frame.dates.size()),
                                           static_cast<Eigen::Index>(frame.columns.size()),
                                           std::numeric_limits<double>::quiet_NaN());
  for (const auto& [at, value] : cells) {
    frame.values(static_cast<Eigen::Index>(at.first), static_cast<Eigen::Index>(at.second)) =
        value.first;
  }
  return frame;
}

}  // namespace trend
