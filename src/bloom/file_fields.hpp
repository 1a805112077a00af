// Fixed-width little-endian fields of the filter files (both formats): written and read with
// memcpy, so no alignment is assumed.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace trend::bloom {

static_assert(std::endian::native == std::endian::little, "filter files are little-endian");

template <typename T>
void PutField(std::string& out, std::size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof value);
}

template <typename T>
void AppendField(std::string& out, T value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof value);
}

template <typename T>
T GetField(std::string_view in, std::size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof value);
  return value;
}

}  // namespace trend::bloom
