// The loader's writer lanes: tasks run side by side, the steps they order pass in submission
// order, and a failure stops the tasks after it and reaches the submitter.
#include "ingest/batch_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace trend::ingest {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kCommit = 1;

TEST(BatchWriter, TwoLanesRunTwoTasksAtOnce) {
  std::mutex mutex;
  std::condition_variable changed;
  int started = 0;
  bool both_ran_together = false;
  {
    BatchWriter writer(2, 2, 2, "test-writer");
    for (int i = 0; i < 2; ++i) {
      writer.Submit([&](std::size_t, BatchWriter::Turn&) {
        std::unique_lock lock(mutex);
        ++started;
        changed.notify_all();
        // Each waits for the other to start: only two lanes at once get both through.
        if (changed.wait_for(lock, 10s, [&] { return started == 2; })) both_ran_together = true;
      });
    }
    writer.Drain();
  }
  EXPECT_TRUE(both_ran_together);
}

TEST(BatchWriter, OneLaneRunsTasksOneAfterTheOther) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  BatchWriter writer(1, 2, 2, "test-writer");
  for (int i = 0; i < 6; ++i) {
    writer.Submit([&](std::size_t lane, BatchWriter::Turn&) {
      EXPECT_EQ(lane, 0u);
      most = std::max(most.load(), ++running);
      std::this_thread::sleep_for(2ms);
      --running;
    });
  }
  writer.Drain();
  EXPECT_EQ(most.load(), 1);
}

// Tasks take random times before their commit step; the commits still follow the order the
// tasks were submitted in.
TEST(BatchWriter, StepsPassInSubmissionOrderWhateverEachTaskTakes) {
  std::mutex mutex;
  std::vector<std::uint64_t> commits;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> micros(0, 3000);
  BatchWriter writer(3, 2, 2, "test-writer");
  for (int i = 0; i < 40; ++i) {
    const auto before = std::chrono::microseconds(micros(random));
    writer.Submit([&, before](std::size_t, BatchWriter::Turn& turn) {
      std::this_thread::sleep_for(before);
      turn.AwaitEarlier(kCommit);
      std::lock_guard lock(mutex);
      commits.push_back(turn.number());
    });
  }
  writer.Drain();
  ASSERT_EQ(commits.size(), 40u);
  for (std::size_t i = 0; i < commits.size(); ++i) EXPECT_EQ(commits[i], i);
}

TEST(BatchWriter, PassingAStepLetsTheNextTaskOnBeforeThisOneEnds) {
  std::mutex mutex;
  std::condition_variable changed;
  bool second_past = false;
  bool first_saw_it = false;
  BatchWriter writer(2, 2, 2, "test-writer");
  writer.Submit([&](std::size_t, BatchWriter::Turn& turn) {
    turn.Pass(0);
    std::unique_lock lock(mutex);
    first_saw_it = changed.wait_for(lock, 10s, [&] { return second_past; });
  });
  writer.Submit([&](std::size_t, BatchWriter::Turn& turn) {
    turn.AwaitEarlier(0);
    std::lock_guard lock(mutex);
    second_past = true;
    changed.notify_all();
  });
  writer.Drain();
  EXPECT_TRUE(first_saw_it);
}

TEST(BatchWriter, AFailureStopsTheTasksAfterItAndIsRethrown) {
  std::mutex mutex;
  std::vector<std::uint64_t> commits;
  std::atomic<int> aborted_waits{0};
  std::atomic<bool> fourth_started{false};
  bool rethrown = false;
  {
    BatchWriter writer(2, 2, 1, "test-writer");
    try {
      for (int i = 0; i < 12; ++i) {
        writer.Submit([&](std::size_t, BatchWriter::Turn& turn) {
          if (turn.number() == 3) {
            // Fails once the task after it is waiting on it.
            for (int wait = 0; wait < 10'000 && !fourth_started; ++wait) {
              std::this_thread::sleep_for(1ms);
            }
            std::this_thread::sleep_for(1ms);
            throw std::runtime_error("task 3 failed");
          }
          if (turn.number() == 4) fourth_started = true;
          try {
            turn.AwaitEarlier(kCommit);
          } catch (const BatchWriter::Aborted&) {
            ++aborted_waits;
            throw;
          }
          std::lock_guard lock(mutex);
          commits.push_back(turn.number());
        });
      }
      writer.Drain();
    } catch (const std::runtime_error& error) {
      rethrown = std::string(error.what()) == "task 3 failed";
    }
    // The failure stays: nothing more is taken.
    EXPECT_THROW(writer.Submit([](std::size_t, BatchWriter::Turn&) {}), std::runtime_error);
  }  // the lanes have ended
  EXPECT_TRUE(rethrown);
  EXPECT_EQ(commits, (std::vector<std::uint64_t>{0, 1, 2}));
  EXPECT_EQ(aborted_waits.load(), 1);  // task 4, waiting on task 3; the rest never started
}

TEST(BatchWriter, TasksSubmittedBeforeTheEndAllRun) {
  std::atomic<int> ran{0};
  {
    BatchWriter writer(2, 2, 2, "test-writer");
    for (int i = 0; i < 10; ++i) {
      writer.Submit([&](std::size_t, BatchWriter::Turn&) {
        std::this_thread::sleep_for(1ms);
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace trend::ingest
