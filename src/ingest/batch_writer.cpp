#include "ingest/batch_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace trend::ingest {

void BatchWriter::Turn::AwaitEarlier(std::size_t step) {
  std::unique_lock lock(writer_.mutex_);
  writer_.changed_.wait(lock, [&] { return writer_.passed_[step] >= number_ || writer_.error_; });
  if (writer_.passed_[step] < number_) throw Aborted{};
}

void BatchWriter::Turn::Pass(std::size_t step) {
  AwaitEarlier(step);
  std::lock_guard lock(writer_.mutex_);
  if (writer_.passed_[step] == number_) {
    writer_.passed_[step] = number_ + 1;
    writer_.changed_.notify_all();
  }
}

BatchWriter::BatchWriter(std::size_t lanes, std::size_t steps, std::size_t max_waiting,
                         const char* name)
    : max_waiting_(std::max<std::size_t>(max_waiting, 1)), passed_(steps, 0) {
  for (std::size_t lane = 0; lane < std::max<std::size_t>(lanes, 1); ++lane) {
    threads_.emplace_back([this, lane, name] { Lane(lane, name); });
  }
}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void BatchWriter::Submit(Task task) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return tasks_.size() < max_waiting_ || error_; });
  RethrowLocked();
  tasks_.push_back(std::move(task));
  changed_.notify_all();
}

void BatchWriter::Drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return (tasks_.empty() && running_ == 0) || error_; });
  RethrowLocked();
}

void BatchWriter::RethrowLocked() const {
  if (error_) std::rethrow_exception(error_);
}

void BatchWriter::Lane(std::size_t lane, const char* name) {
  // Thread names are at most 15 characters.
  const std::string thread_name =
      (lane == 0 ? std::string(name) : std::string(name) + "-" + std::to_string(lane))
          .substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return !tasks_.empty() || closing_; });
    if (tasks_.empty()) return;
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    Turn turn(*this, next_number_++);
    ++running_;
    changed_.notify_all();  // a place in the queue is free
    const bool skip = error_ != nullptr;
    lock.unlock();
    std::exception_ptr failure;
    if (!skip) {
      try {
        task(lane, turn);
        // Finished: past every step, in order after the tasks before it.
        for (std::size_t step = 0; step < passed_.size(); ++step) turn.Pass(step);
      } catch (const Aborted&) {
        // Another task failed first; its failure is the one reported.
      } catch (...) {
        failure = std::current_exception();
      }
    }
    task = nullptr;  // what it holds is released before the task counts as run
    lock.lock();
    --running_;
    if (failure && !error_) error_ = failure;
    changed_.notify_all();
  }
}

}  // namespace trend::ingest
