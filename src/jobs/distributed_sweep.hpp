// A sweep spread over `trend worker` processes: the grid is cut into chunks of consecutive
// configurations, each sent as a trend.sweep_chunk task; the returns travel once, as a dataset
// stored by content hash. Rows come back through the result backend and are handed to the sink
// in configuration order, as a local sweep hands them, so the same writer gives the same
// bytes. A client that stops (a signal, an error) revokes the chunks not yet done.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "jobs/broker.hpp"
#include "jobs/result_backend.hpp"
#include "jobs/sweep_rows.hpp"
#include "sweep/sweep.hpp"

namespace trend::jobs {

struct DistributedSweepOptions {
  std::string queue = "trend";
  std::size_t first = 0;       // configurations [first, first + count)
  std::size_t count = 0;       // required: how many
  std::size_t chunk_size = 0;  // 0: ChunkSizeFor(count)
  std::chrono::milliseconds poll{20};
  // Said once when no chunk has been taken for this long (no worker on the queue?).
  std::chrono::milliseconds idle_notice{10'000};
  std::function<void(const std::string&)> notice;
  const std::atomic<bool>* stop = nullptr;  // set: revoke what is left and return
};

// Enough chunks to keep many workers busy to the end, few enough that each carries work worth
// its messages.
std::size_t ChunkSizeFor(std::size_t configurations);

// Runs the sweep and returns how many rows went to the sink (all of them unless stopped).
// `csv` is the returns file's text. Throws InputError for a chunk that failed on its worker.
std::size_t RunDistributedSweep(Broker& broker, RedisResultBackend& backend,
                                const SweepChunkInput& input, const std::string& csv,
                                const DistributedSweepOptions& options, const SweepSink& sink,
                                const SweepProgress& progress);

}  // namespace trend::jobs
