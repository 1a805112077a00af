// The two ways a JobService runs its jobs. In this process: the embedded default of
// `trend app`, on its own threads. On a broker: each job spread over the `trend worker`
// processes consuming a queue (an analysis as one trend.run task, a backtest as a
// trend.periods task per period, a sweep in trend.sweep_chunk chunks), its returns sent once
// as a dataset; a revoked job revokes its tasks not yet done. Both give the same bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "jobs/job_service.hpp"

namespace trend::jobs {

struct LocalExecutorOptions {
  std::size_t sweep_threads = 0;  // threads of one sweep job; 0: every hardware thread
};
JobExecutor MakeLocalExecutor(LocalExecutorOptions options);

struct BrokerExecutorOptions {
  std::string broker_url;
  std::string backend_url;  // empty: the broker's
  std::string queue = "trend";
  // Said when nothing has moved for a while (no worker on the queue?).
  std::function<void(const std::string&)> notice;
};
JobExecutor MakeBrokerExecutor(BrokerExecutorOptions options);

}  // namespace trend::jobs
