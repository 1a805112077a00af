// Splits an index range into one contiguous slice per hardware thread for short data-parallel
// passes (per-column preprocessing, chunked parsing), run as oneTBB tasks on the caller's arena.
// The slices depend only on the sizes, so results do not depend on scheduling.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#include <tbb/parallel_for.h>

namespace trend {

// Calls fn(begin, end) on disjoint slices covering [0, n), concurrently when each slice gets at
// least `min_per_slice` items. The first exception (in slice order) is rethrown after all
// slices finish.
inline std::size_t HardwareThreads() {
  // glibc reads /sys on every hardware_concurrency() call; ask once.
  static const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

// How many columns of `rows` cells make a slice worth a thread (about 1 ms of simple work);
// smaller frames are faster on one thread than the cost of starting another.
inline std::size_t MinColumnsPerSlice(std::size_t rows) {
  constexpr std::size_t kMinCellsPerSlice = 1 << 18;
  return std::max<std::size_t>(1, kMinCellsPerSlice / std::max<std::size_t>(1, rows));
}

template <class Fn>
void ParallelRanges(std::size_t n, std::size_t min_per_slice, Fn&& fn) {
  const std::size_t hardware = HardwareThreads();
  const std::size_t slices =
      std::min(hardware, std::max<std::size_t>(1, n / std::max<std::size_t>(1, min_per_slice)));
  if (slices <= 1) {
    if (n > 0) fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(slices);
  const auto run = [&](std::size_t k) {
    try {
      fn(n * k / slices, n * (k + 1) / slices);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  };
  // On the caller's oneTBB arena: no threads are started per call.
  tbb::parallel_for(std::size_t{0}, slices, run);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace trend
