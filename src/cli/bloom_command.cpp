#include "cli/bloom_command.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom_error.hpp"
#include "bloom/bloom_filter.hpp"
#include "bloom/filter_file.hpp"
#include "error/input_error.hpp"

namespace trend {
namespace {

using bloom::FileFormat;

// One key per line; a trailing carriage return (a CRLF file) is not part of the key.
bool NextKey(std::istream& in, std::string& key) {
  if (!std::getline(in, key)) return false;
  if (!key.empty() && key.back() == '\r') key.pop_back();
  return true;
}

std::string Describe(const bloom::FilterInfo& info) {
  return fmt::format("{} {} filter, capacity {}, error rate {}, {} bits, {} keys", info.kind,
                     info.format == FileFormat::kNative ? "native" : "pybloom-live", info.capacity,
                     info.error_rate, info.bits, info.count);
}

int Build(const BloomCommandOptions& options) {
  bloom::FilterSpec spec;
  spec.capacity = options.capacity;
  spec.error_rate = options.error_rate;
  spec.scalable = options.scalable;
  spec.growth = options.growth;
  spec.format = options.format == "pybloom" ? FileFormat::kPybloom : FileFormat::kNative;
  if (options.growth > 0 && !options.scalable) {
    std::fprintf(stderr, "trend: warning: --growth has no effect without --scalable\n");
  }
  std::unique_ptr<bloom::MembershipFilter> filter;
  try {
    filter = bloom::MakeFilter(spec);
  } catch (const bloom::ShapeError& error) {
    throw InputError(fmt::format("trend bloom build: {}", error.what()));
  }
  std::uint64_t lines = 0, repeats = 0;
  std::string key;
  std::ios::sync_with_stdio(false);
  try {
    while (NextKey(std::cin, key)) {
      ++lines;
      repeats += filter->Add(key) ? 1 : 0;
    }
  } catch (const bloom::CapacityError& error) {
    throw InputError(fmt::format("stdin line {}: {}: give a larger --capacity, or --scalable",
                                 lines, error.what()));
  }
  try {
    filter->Save(options.output);
  } catch (const bloom::FilterFileError& error) {
    throw InputError(error.what());
  }
  std::fprintf(stderr, "trend bloom: %llu keys read, %llu already present; wrote %s: %s\n",
               static_cast<unsigned long long>(lines), static_cast<unsigned long long>(repeats),
               options.output.c_str(), Describe(filter->Info()).c_str());
  return 0;
}

std::unique_ptr<bloom::MembershipFilter> Open(const BloomCommandOptions& options) {
  try {
    return bloom::LoadFilter(options.file, options.map);
  } catch (const bloom::FilterFileError& error) {
    throw InputError(error.what());
  }
}

int Check(const BloomCommandOptions& options) {
  const auto filter = Open(options);
  bool all_present = true;
  std::string out;
  auto answer = [&](const std::string& key) {
    const bool present = filter->Contains(key);
    all_present &= present;
    out += present ? "present\t" : "absent\t";
    out += key;
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  };
  if (!options.keys.empty()) {
    for (const auto& key : options.keys) answer(key);
  } else {
    std::ios::sync_with_stdio(false);
    for (std::string key; NextKey(std::cin, key);) answer(key);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return all_present ? 0 : 1;
}

int Info(const BloomCommandOptions& options) {
  const auto filter = Open(options);
  const bloom::FilterInfo info = filter->Info();
  const std::string format = info.format == FileFormat::kNative ? "native" : "pybloom-live";
  if (options.json) {
    nlohmann::json doc = {{"file", options.file},
                          {"format", format},
                          {"kind", info.kind},
                          {"capacity", info.capacity},
                          {"error_rate", info.error_rate},
                          {"count", info.count},
                          {"bits", info.bits},
                          {"bytes", (info.bits + 7) / 8},
                          {"hashes", info.hashes},
                          {"expected_false_positive_rate", info.expected_false_positive_rate}};
    if (info.block_bits > 0) doc["block_bits"] = info.block_bits;
    if (info.kind == "scalable") {
      doc["filters"] = info.hashes.size();
      doc["growth"] = info.growth;
      doc["tightening"] = info.tightening;
    }
    std::printf("%s\n", doc.dump().c_str());
    return 0;
  }
  std::string text = fmt::format("file:        {}\nformat:      {}\nkind:        {}\n",
                                 options.file, format, info.kind);
  if (info.kind == "scalable") {
    text += fmt::format("filters:     {} (growth x{}, tightening {})\n", info.hashes.size(),
                        info.growth, info.tightening);
  }
  text += fmt::format("capacity:    {}\nerror rate:  {}\ncount:       {}\n", info.capacity,
                      info.error_rate, info.count);
  text += fmt::format("bits:        {} ({} bytes; {:.2f} bits per key at capacity)\n", info.bits,
                      (info.bits + 7) / 8,
                      info.capacity > 0
                          ? static_cast<double>(info.bits) / static_cast<double>(info.capacity)
                          : 0.0);
  text += fmt::format("hashes:      {}\n", fmt::join(info.hashes, ", "));
  if (info.block_bits > 0) text += fmt::format("block:       {} bits\n", info.block_bits);
  text +=
      fmt::format("false-positive rate expected now: {:.6g}\n", info.expected_false_positive_rate);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

int BloomCommand(const BloomCommandOptions& options) {
  if (options.action == "build") return Build(options);
  if (options.action == "check") return Check(options);
  return Info(options);
}

}  // namespace trend
