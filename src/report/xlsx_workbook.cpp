#include "report/xlsx_workbook.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <xlsxwriter.h>

#include <mutex>

#include "error/input_error.hpp"

namespace trend {
namespace {

// Every libxlsxwriter function the exports call, resolved once from the shared library.
// (clang-format reflows this X-macro list differently on every pass.)
// clang-format off
#define TREND_XLSX_FUNCTIONS(X) \
  X(workbook_new) \
  X(workbook_add_worksheet) \
  X(workbook_add_format) \
  X(workbook_close) \
  X(format_set_bold) \
  X(format_set_num_format) \
  X(format_set_font_color) \
  X(worksheet_write_string) \
  X(worksheet_write_number) \
  X(worksheet_set_column) \
  X(worksheet_freeze_panes) \
  X(worksheet_autofilter) \
  X(lxw_strerror)
// clang-format on

struct XlsxApi {
#define TREND_XLSX_POINTER(name) decltype(&::name) name = nullptr;
  TREND_XLSX_FUNCTIONS(TREND_XLSX_POINTER)
#undef TREND_XLSX_POINTER
  std::string error;  // why the library could not be loaded, if it could not
};

const XlsxApi& Api() {
  static XlsxApi api;
  static std::once_flag loaded;
  std::call_once(loaded, [] {
    void* library = ::dlopen("libxlsxwriter.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) library = ::dlopen("libxlsxwriter.so", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      api.error = fmt::format(
          "libxlsxwriter is not installed ({}); install libxlsxwriter4 or "
          "leave xlsx out of export.formats",
          ::dlerror());
      return;
    }
#define TREND_XLSX_RESOLVE(name)                                           \
  api.name = reinterpret_cast<decltype(&::name)>(::dlsym(library, #name)); \
  if (api.name == nullptr && api.error.empty()) api.error = "libxlsxwriter lacks " #name;
    TREND_XLSX_FUNCTIONS(TREND_XLSX_RESOLVE)
#undef TREND_XLSX_RESOLVE
  });
  return api;
}

}  // namespace

XlsxWorkbook::XlsxWorkbook(const std::string& path) : path_(path), file_(path) {
  const XlsxApi& api = Api();
  if (!api.error.empty()) throw InputError(fmt::format("{}: {}", path, api.error));
  workbook_ = api.workbook_new(file_.temporary().c_str());
  if (workbook_ == nullptr) throw InputError(fmt::format("{}: cannot create the workbook", path));
  for (auto& format : formats_) format = api.workbook_add_format(workbook_);
  api.format_set_bold(formats_[static_cast<int>(Style::kBold)]);
  api.format_set_num_format(formats_[static_cast<int>(Style::kPercent)], "0.00%");
  api.format_set_num_format(formats_[static_cast<int>(Style::kPercentRed)], "0.00%");
  api.format_set_font_color(formats_[static_cast<int>(Style::kPercentRed)], LXW_COLOR_RED);
  api.format_set_num_format(formats_[static_cast<int>(Style::kRatio)], "0.00");
  api.format_set_num_format(formats_[static_cast<int>(Style::kDate)], "yyyy-mm-dd");
}

XlsxWorkbook::~XlsxWorkbook() {
  // An unclosed workbook (an exception on the way) is still freed; the file is not finished.
  if (workbook_ != nullptr) Api().workbook_close(workbook_);
}

XlsxWorkbook::Sheet XlsxWorkbook::AddSheet(const std::string& name) {
  lxw_worksheet* sheet = Api().workbook_add_worksheet(workbook_, name.c_str());
  if (sheet == nullptr) {
    throw InputError(fmt::format("{}: cannot add a sheet named '{}'", path_, name));
  }
  return Sheet(*this, sheet);
}

void XlsxWorkbook::Close() {
  const lxw_error status = Api().workbook_close(workbook_);
  workbook_ = nullptr;
  if (status != LXW_NO_ERROR) {
    throw InputError(
        fmt::format("{}: cannot write the workbook ({})", path_, Api().lxw_strerror(status)));
  }
  file_.Commit();
}

lxw_format* XlsxWorkbook::FormatFor(Style style) const {
  return style == Style::kPlain ? nullptr : formats_[static_cast<int>(style)];
}

void XlsxWorkbook::Sheet::WriteString(std::uint32_t row, std::uint16_t col, const std::string& text,
                                      Style style) {
  Api().worksheet_write_string(sheet_, row, col, text.c_str(), book_.FormatFor(style));
}

void XlsxWorkbook::Sheet::WriteNumber(std::uint32_t row, std::uint16_t col, double value,
                                      Style style) {
  Api().worksheet_write_number(sheet_, row, col, value, book_.FormatFor(style));
}

void XlsxWorkbook::Sheet::SetColumnWidth(std::uint16_t first, std::uint16_t last, double width) {
  Api().worksheet_set_column(sheet_, first, last, width, nullptr);
}

void XlsxWorkbook::Sheet::FreezeRows(std::uint32_t rows) {
  Api().worksheet_freeze_panes(sheet_, rows, 0);
}

void XlsxWorkbook::Sheet::AutoFilter(std::uint32_t first_row, std::uint32_t last_row,
                                     std::uint16_t last_col) {
  Api().worksheet_autofilter(sheet_, first_row, 0, last_row, last_col);
}

}  // namespace trend
