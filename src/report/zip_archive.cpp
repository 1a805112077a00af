#include "report/zip_archive.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <memory>

#include "error/input_error.hpp"

namespace trend {

std::string ZipFiles(const std::vector<std::filesystem::path>& files) {
  zip_error_t error;
  zip_error_init(&error);
  // The archive is built in memory: a buffer source opened as an archive for writing.
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) throw InputError(fmt::format("zip: {}", zip_error_strerror(&error)));
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    throw InputError(fmt::format("zip: {}", zip_error_strerror(&error)));
  }
  zip_source_keep(buffer);  // still ours after zip_close, to read the bytes from
  const auto fail = [&](const std::string& what) {
    const std::string message = fmt::format("zip: {}: {}", what, zip_strerror(archive));
    zip_discard(archive);
    zip_source_free(buffer);
    throw InputError(message);
  };
  for (const auto& file : files) {
    zip_source_t* source = zip_source_file(archive, file.c_str(), 0, -1);
    if (source == nullptr) fail(file.string());
    if (zip_file_add(archive, file.filename().c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(source);
      fail(file.string());
    }
  }
  if (zip_close(archive) < 0) fail("writing the archive");
  std::string bytes;
  if (zip_source_open(buffer) == 0) {
    zip_stat_t stat;
    if (zip_source_stat(buffer, &stat) == 0 && (stat.valid & ZIP_STAT_SIZE)) {
      bytes.resize(stat.size);
      const zip_int64_t read = zip_source_read(buffer, bytes.data(), stat.size);
      bytes.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
    }
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  if (bytes.empty()) throw InputError("zip: the archive came out empty");
  return bytes;
}

}  // namespace trend
