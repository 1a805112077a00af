#include "jobs/distributed_sweep.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "digest/sha256.hpp"
#include "jobs/scatter_gather.hpp"

namespace trend::jobs {

std::size_t ChunkSizeFor(std::size_t configurations) {
  // About 128 chunks, so the last ones to finish leave a worker idle for little of the sweep,
  // but at least 32 configurations each (or an eighth of a small grid): a chunk's messages,
  // claim and result cost about as much as a few dozen demo configurations (measured on 2
  // worker processes: 16 per chunk gave 76% efficiency, 100 gave 92%).
  const std::size_t many = (configurations + 127) / 128;
  const std::size_t floor = std::min<std::size_t>(32, (configurations + 7) / 8);
  return std::clamp<std::size_t>(std::max(many, floor), 1, 2000);
}

std::size_t RunDistributedSweep(Broker& broker, RedisResultBackend& backend,
                                const SweepChunkInput& input, const std::string& csv,
                                const DistributedSweepOptions& options, const SweepSink& sink,
                                const SweepProgress& progress) {
  const std::size_t size = options.chunk_size ? options.chunk_size : ChunkSizeFor(options.count);
  const std::string dataset = Sha256Hex(csv);
  backend.PutDataset(dataset, csv);

  std::vector<ScatterTask> chunks;
  const std::size_t end = options.first + options.count;
  for (std::size_t first = options.first; first < end; first += size) {
    const std::size_t count = std::min(size, end - first);
    ScatterTask chunk;
    chunk.task.id = MakeTaskId();
    chunk.task.task = "trend.sweep_chunk";
    chunk.task.queue = options.queue;
    chunk.task.kwargs = {{"config", input.config_text},
                         {"config_name", input.config_name},
                         {"grid", input.grid_text},
                         {"grid_name", input.grid_name},
                         {"base_dir", input.base_dir},
                         {"dataset", dataset},
                         {"first", first},
                         {"count", count}};
    chunk.units = count;
    chunk.what = fmt::format("configurations {}..{}", first, first + count - 1);
    chunks.push_back(std::move(chunk));
  }
  std::vector<std::size_t> counts;
  for (const auto& chunk : chunks) counts.push_back(chunk.units);

  ScatterOptions scatter;
  scatter.poll = options.poll;
  scatter.idle_notice = options.idle_notice;
  scatter.notice = options.notice;
  scatter.stop = options.stop;
  std::size_t written = 0;
  ScatterGather(
      broker, backend, std::move(chunks), scatter,
      [&](std::size_t index, const nlohmann::json& result) {
        if (!result.is_object() || !result.contains("rows") || !result["rows"].is_array() ||
            result["rows"].size() != counts[index]) {
          throw std::invalid_argument(
              fmt::format("the worker's result does not hold {} rows", counts[index]));
        }
        for (const auto& row : result["rows"]) {
          sink(SweepRowFromJson(row));
          ++written;
        }
      },
      progress);
  return written;
}

}  // namespace trend::jobs
