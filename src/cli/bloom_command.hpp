// `trend bloom build|check|info`: Bloom filter files for operators, native or pybloom-live's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trend {

struct BloomCommandOptions {
  std::string action;  // build, check, info
  // build
  std::uint64_t capacity = 0;
  double error_rate = 0.001;
  bool scalable = false;
  double growth = 0;  // 0: the format's default (4)
  std::string format = "native";
  std::string output;
  // check, info
  std::string file;
  std::vector<std::string> keys;  // check: these, else stdin
  bool map = false;               // map a native file instead of reading it
  bool json = false;              // info as one JSON object
};

// Exit status: 0; check: 1 when some key is absent (as grep); 2 for bad input.
int BloomCommand(const BloomCommandOptions& options);

}  // namespace trend
