// The threads that write the loader's batches while the reader parses the next ones.
//
// Each lane is a thread (with, in the loader, a database connection of its own). Tasks are
// taken in the order they were submitted; lanes run them side by side, and a task orders the
// parts of its work that must follow the tasks before it with its Turn: "wait until every
// earlier task has passed step S". A loader commits a batch only after the batch before it has
// committed, so the read positions in the database never run ahead of rows that are not there.
//
// The first failure stops the rest: tasks not started are skipped, tasks waiting on an earlier
// one end (their transaction rolled back by its owner), and the failure is rethrown to the
// submitter at its next Submit or Drain.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trend::ingest {

class BatchWriter {
 public:
  // A task's place in the submission order.
  class Turn {
   public:
    // Blocks until every earlier task has passed `step` (a task that has finished has passed
    // every step). Throws Aborted when another task has failed.
    void AwaitEarlier(std::size_t step);
    // This task is past `step`: later tasks waiting on it go on. Waits for the earlier ones
    // first, so tasks pass each step in order. Passing a step again does nothing.
    void Pass(std::size_t step);
    std::uint64_t number() const { return number_; }

   private:
    friend class BatchWriter;
    Turn(BatchWriter& writer, std::uint64_t number) : writer_(writer), number_(number) {}
    BatchWriter& writer_;
    std::uint64_t number_;
  };

  // Thrown out of a Turn's waits once another task has failed; not itself a failure.
  struct Aborted {};

  using Task = std::function<void(std::size_t lane, Turn& turn)>;

  // `lanes` threads, named name, name-1, ... (for top and perf); tasks pass `steps` ordered
  // steps (numbered from 0); at most `max_waiting` tasks wait to start.
  BatchWriter(std::size_t lanes, std::size_t steps, std::size_t max_waiting, const char* name);
  // Runs what was submitted, then stops the lanes.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues a task (waiting while max_waiting are queued); rethrows an earlier task's failure.
  void Submit(Task task);
  // Waits until every task submitted has run; rethrows the first failure.
  void Drain();

 private:
  void Lane(std::size_t lane, const char* name);
  void RethrowLocked() const;

  const std::size_t max_waiting_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Task> tasks_;
  std::uint64_t next_number_ = 0;  // of the task at the queue's front
  std::size_t running_ = 0;
  bool closing_ = false;
  std::exception_ptr error_;
  std::vector<std::uint64_t> passed_;  // per step: tasks numbered below it have passed it
  std::vector<std::thread> threads_;   // last: started once the rest exists
};

}  // namespace trend::ingest
