// Memory for filter bits: zeroed anonymous pages (huge pages asked for when large, since a
// lookup's cost at 10M keys is mostly its TLB miss), or a whole filter file, read or mapped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace trend::bloom {

// Writable bytes kept alive by a shared owner, so the sub-filters of one mapped file share it.
struct FileBytes {
  std::shared_ptr<void> owner;
  std::byte* data = nullptr;
  std::size_t size = 0;

  std::string_view View() const { return {reinterpret_cast<const char*>(data), size}; }
};

// `bytes` zeroed bytes, 64-byte aligned.
FileBytes ZeroedBytes(std::size_t bytes);

// The file's bytes: read into memory, or (map = true) mapped privately, so that adds change
// only this process's copy until the filter is saved. Throws FilterFileError naming the path.
FileBytes ReadFileBytes(const std::string& path, bool map);

// Writes the parts to a temporary file beside `path`, flushes it to disk and renames it over
// `path`, so a reader (or a crash) sees the old file or the new one, never half of one.
void WriteFileAtomically(const std::string& path, std::initializer_list<std::string_view> parts);

}  // namespace trend::bloom
