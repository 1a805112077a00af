#include "jobs/distributed_sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "digest/sha256.hpp"
#include "error/input_error.hpp"

namespace trend::jobs {
namespace {

using nlohmann::json;

struct Chunk {
  std::string id;
  std::size_t first = 0;
  std::size_t count = 0;
  std::size_t done = 0;  // configurations finished, from the worker's PROGRESS
  bool finished = false;
  json rows;  // held from SUCCESS until every chunk before it is written
};

// Celery stores exc_message as the exception's args (a list); older clients a string.
std::string ExceptionText(const json& result) {
  const std::string type = result.value("exc_type", std::string("Error"));
  const json message = result.value("exc_message", json());
  std::string text;
  if (message.is_string()) {
    text = message.get<std::string>();
  } else if (message.is_array() && !message.empty() && message[0].is_string()) {
    text = message[0].get<std::string>();
  } else {
    text = message.dump();
  }
  return type + ": " + text;
}

// Revokes the chunks not finished when the client leaves early, whatever the reason.
class RevokeLeftovers {
 public:
  RevokeLeftovers(RedisResultBackend& backend, const std::vector<Chunk>& chunks)
      : backend_(backend), chunks_(chunks) {}
  ~RevokeLeftovers() {
    std::vector<std::string> ids;
    for (const auto& chunk : chunks_) {
      if (!chunk.finished) ids.push_back(chunk.id);
    }
    try {
      backend_.Revoke(ids, "the sweep's client stopped");
    } catch (const std::exception&) {
      // The backend is gone too: the chunks run, and their results expire unread.
    }
  }
  RevokeLeftovers(const RevokeLeftovers&) = delete;
  RevokeLeftovers& operator=(const RevokeLeftovers&) = delete;

 private:
  RedisResultBackend& backend_;
  const std::vector<Chunk>& chunks_;
};

// Reads what the workers stored for the unfinished chunks: progress, rows or a failure.
void Poll(RedisResultBackend& backend, std::vector<Chunk>& chunks, std::size_t from) {
  constexpr std::size_t kBatch = 512;  // keys per MGET
  std::vector<Chunk*> open;
  for (std::size_t i = from; i < chunks.size(); ++i) {
    if (!chunks[i].finished) open.push_back(&chunks[i]);
  }
  for (std::size_t start = 0; start < open.size(); start += kBatch) {
    const std::size_t end = std::min(open.size(), start + kBatch);
    std::vector<std::string> ids;
    for (std::size_t i = start; i < end; ++i) ids.push_back(open[i]->id);
    const auto metas = backend.GetMetas(ids);
    for (std::size_t i = start; i < end; ++i) {
      const auto& text = metas[i - start];
      if (!text) continue;
      Chunk& chunk = *open[i];
      const json meta = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      const std::string status =
          meta.is_object() ? meta.value("status", std::string()) : std::string();
      const json result = meta.is_object() ? meta.value("result", json()) : json();
      const std::string range =
          fmt::format("configurations {}..{}", chunk.first, chunk.first + chunk.count - 1);
      if (status == "PROGRESS" && result.is_object()) {
        chunk.done = std::min(chunk.count, result.value("done", std::size_t{0}));
      } else if (status == "SUCCESS") {
        if (!result.is_object() || !result.contains("rows") || !result["rows"].is_array() ||
            result["rows"].size() != chunk.count) {
          throw InputError(fmt::format("{}: the worker's result does not hold {} rows (task {})",
                                       range, chunk.count, chunk.id));
        }
        chunk.rows = result["rows"];
        chunk.done = chunk.count;
        chunk.finished = true;
      } else if (status == "FAILURE" || status == "REVOKED") {
        throw InputError(fmt::format("{} failed on a worker (task {}): {}", range, chunk.id,
                                     ExceptionText(result)));
      }
    }
  }
}

}  // namespace

std::size_t ChunkSizeFor(std::size_t configurations) {
  // About 256 chunks: the last ones to finish leave a worker idle for 1/256 of the sweep at
  // most per worker, and a chunk of a few hundred configurations outweighs its messages.
  return std::clamp<std::size_t>((configurations + 255) / 256, 1, 2000);
}

std::size_t RunDistributedSweep(Broker& broker, RedisResultBackend& backend,
                                const SweepChunkInput& input, const std::string& csv,
                                const DistributedSweepOptions& options, const SweepSink& sink,
                                const SweepProgress& progress) {
  const std::size_t size = options.chunk_size ? options.chunk_size : ChunkSizeFor(options.count);
  const std::string dataset = Sha256Hex(csv);
  backend.PutDataset(dataset, csv);

  std::vector<Chunk> chunks;
  for (std::size_t first = options.first; first < options.first + options.count; first += size) {
    Chunk chunk;
    chunk.id = MakeTaskId();
    chunk.first = first;
    chunk.count = std::min(size, options.first + options.count - first);
    chunks.push_back(std::move(chunk));
  }
  const RevokeLeftovers revoke_on_exit(backend, chunks);
  for (const auto& chunk : chunks) {
    OutgoingTask task;
    task.id = chunk.id;
    task.task = "trend.sweep_chunk";
    task.queue = options.queue;
    task.kwargs = {{"config", input.config_text}, {"config_name", input.config_name},
                   {"grid", input.grid_text},     {"grid_name", input.grid_name},
                   {"base_dir", input.base_dir},  {"dataset", dataset},
                   {"first", chunk.first},        {"count", chunk.count}};
    broker.Publish(task);
  }

  const auto started = std::chrono::steady_clock::now();
  bool noticed = false;
  std::size_t next = 0;  // the first chunk whose rows are not written yet
  std::size_t written = 0;
  while (next < chunks.size()) {
    if (options.stop && options.stop->load()) break;
    Poll(backend, chunks, next);
    for (; next < chunks.size() && chunks[next].finished; ++next) {
      for (const json& row : chunks[next].rows) {
        SweepRow parsed;
        try {
          parsed = SweepRowFromJson(row);
        } catch (const std::invalid_argument& e) {
          throw InputError(fmt::format("task {}: {}", chunks[next].id, e.what()));
        }
        sink(parsed);
        ++written;
      }
      chunks[next].rows = json();
    }
    std::size_t done = 0;
    for (const auto& chunk : chunks) done += chunk.done;
    if (progress) progress(done);
    if (next == chunks.size()) break;
    if (!noticed && done == 0 && options.notice &&
        std::chrono::steady_clock::now() - started > options.idle_notice) {
      noticed = true;
      const std::size_t waiting = broker.QueueLength(options.queue);
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(options.idle_notice).count();
      if (waiting == 0) {
        options.notice(fmt::format(
            "the chunks were taken from queue {} but no result has reached {} in {} s: do the "
            "workers use the same result backend (--backend)?",
            options.queue, backend.url(), seconds));
      } else {
        options.notice(fmt::format(
            "no worker has started a chunk in {} s ({} waiting in queue {}): is `trend worker "
            "--broker {} --queues {}` running?",
            seconds, waiting, options.queue, broker.url(), options.queue));
      }
    }
    std::this_thread::sleep_for(options.poll);
  }
  return written;
}

}  // namespace trend::jobs
