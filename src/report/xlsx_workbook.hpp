// A small typed wrapper over libxlsxwriter for the exports. The library (and the OpenSSL and
// zlib it pulls in) is loaded on the first workbook, not at program start: most runs write no
// workbook, and loading it costs every run about a millisecond.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "report/export_files.hpp"

struct lxw_workbook;
struct lxw_worksheet;
struct lxw_format;

namespace trend {

class XlsxWorkbook {
 public:
  enum class Style { kPlain, kBold, kPercent, kPercentRed, kRatio, kDate };

  class Sheet {
   public:
    void WriteString(std::uint32_t row, std::uint16_t col, const std::string& text,
                     Style style = Style::kPlain);
    void WriteNumber(std::uint32_t row, std::uint16_t col, double value, Style style);
    void SetColumnWidth(std::uint16_t first, std::uint16_t last, double width);
    void FreezeRows(std::uint32_t rows);
    void AutoFilter(std::uint32_t first_row, std::uint32_t last_row, std::uint16_t last_col);

   private:
    friend class XlsxWorkbook;
    Sheet(XlsxWorkbook& book, lxw_worksheet* sheet) : book_(book), sheet_(sheet) {}
    XlsxWorkbook& book_;
    lxw_worksheet* sheet_;
  };

  // Throws InputError naming `path` if the file cannot be created or the library is missing.
  explicit XlsxWorkbook(const std::string& path);
  ~XlsxWorkbook();
  XlsxWorkbook(const XlsxWorkbook&) = delete;
  XlsxWorkbook& operator=(const XlsxWorkbook&) = delete;

  // Sheet names are at most 31 characters and unique, as Excel requires.
  Sheet AddSheet(const std::string& name);
  // Writes the file, whole or not at all; throws InputError naming the path on failure.
  void Close();

 private:
  lxw_format* FormatFor(Style style) const;

  std::string path_;
  PendingFile file_;  // libxlsxwriter writes the temporary; Close() puts it in place
  lxw_workbook* workbook_ = nullptr;
  lxw_format* formats_[6] = {};
};

}  // namespace trend
