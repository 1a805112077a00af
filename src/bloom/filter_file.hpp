// Any filter file, whichever kind and format: what `trend bloom check|info` and ingest open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bloom/membership_filter.hpp"

namespace trend::bloom {

struct FilterSpec {
  std::uint64_t capacity = 0;
  double error_rate = 0.001;
  bool scalable = false;
  double growth = 0;  // 0: the format's default (native 4, pybloom-live LARGE_SET_GROWTH = 4)
  FileFormat format = FileFormat::kNative;
};

std::unique_ptr<MembershipFilter> MakeFilter(const FilterSpec& spec);

// Recognises a native file by its magic, and a pybloom-live file by a header consistent with the
// file's length (fixed: 40 bytes + the bits; scalable: 28 + 4 + 8 per sub-filter + each
// sub-filter). map = true maps a native file instead of reading it. Throws FilterFileError.
std::unique_ptr<MembershipFilter> LoadFilter(const std::string& path, bool map = false);

}  // namespace trend::bloom
