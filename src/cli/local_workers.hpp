// `trend worker` processes started on this machine, each with its own temporary directory as
// if on its own machine: how `trend sweep --broker --scaling` measures speed-up over worker
// processes. Stopped (SIGTERM, then waited for) when the object goes.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace trend {

struct LocalWorkerOptions {
  std::string broker;
  std::string backend;
  std::string queue;
  std::string directory;  // one subdirectory (TMPDIR and log) per worker
};

class LocalWorkers {
 public:
  // Starts `count` single-process workers and waits until each consumes its queue; throws
  // InputError (with the worker's log) for one that exits or does not start within 30 s.
  LocalWorkers(const LocalWorkerOptions& options, std::size_t count);
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

 private:
  void Stop();

  std::vector<pid_t> pids_;
};

}  // namespace trend
