#include "storage/sqlite_checkpointer.hpp"

#include <pthread.h>

#include <utility>

namespace trend::storage {
namespace {

constexpr int kRestartAfter = 4;

}  // namespace

SqliteCheckpointer::SqliteCheckpointer(std::string path, int frames_per_checkpoint)
    : path_(std::move(path)), frames_per_checkpoint_(frames_per_checkpoint) {}

void SqliteCheckpointer::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // A checkpoint cut short is safe: what it copied stays copied, and the writer's closing
    // checkpoint (or the next one) does the rest.
    if (connection_ != nullptr) sqlite3_interrupt(connection_);
  }
  wanted_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SqliteCheckpointer::Attach(sqlite3* writer) {
  sqlite3_wal_hook(writer, &SqliteCheckpointer::OnCommit, this);
}

std::int64_t SqliteCheckpointer::background_checkpoints() const {
  std::lock_guard lock(mutex_);
  return background_checkpoints_;
}

std::int64_t SqliteCheckpointer::writer_checkpoints() const {
  std::lock_guard lock(mutex_);
  return writer_checkpoints_;
}

// On the writer's thread, after each commit, with the number of frames now in the WAL.
int SqliteCheckpointer::OnCommit(void* self_pointer, sqlite3* writer, const char* schema,
                                 int wal_frames) {
  auto& self = *static_cast<SqliteCheckpointer*>(self_pointer);
  if (wal_frames < self.frames_per_checkpoint_) return SQLITE_OK;
  std::unique_lock lock(self.mutex_);
  if (self.stopping_) return SQLITE_OK;  // the writer is closing: its close checkpoints
  // The WAL starts over only at a write that begins once every committed frame is copied,
  // which a writer that commits back to back never sees: this thread's copies always trail
  // its last commit. So at every `kRestartAfter` rounds' worth of frames the writer copies
  // the few frames since the thread's last round itself (as SQLite's automatic checkpoint
  // would copy them all), and its next transaction restarts the WAL. If the thread is in a
  // round, it starts no other and the writer tries again at its next commit. The writer does
  // every checkpoint if the thread could not open the database.
  if (wal_frames >= kRestartAfter * self.frames_per_checkpoint_ || self.unavailable_) {
    self.restart_pending_ = true;
    if (self.in_round_) return SQLITE_OK;
    lock.unlock();
    const int status =
        sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    self.restart_pending_ = false;
    if (status == SQLITE_OK) ++self.writer_checkpoints_;
    return SQLITE_OK;
  }
  self.requested_ = true;
  if (!self.thread_.joinable()) self.thread_ = std::thread([&self] { self.Loop(); });
  lock.unlock();
  self.wanted_.notify_one();
  return SQLITE_OK;
}

void SqliteCheckpointer::Loop() {
  pthread_setname_np(pthread_self(), "sqlite-ckpt");  // for top and perf
  sqlite3* connection = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  std::unique_lock lock(mutex_);
  // A connection learns that the database is in WAL mode at its first read; a checkpoint
  // before that does nothing.
  if (sqlite3_open_v2(path_.c_str(), &connection, flags, nullptr) != SQLITE_OK ||
      sqlite3_exec(connection, "SELECT COUNT(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
          SQLITE_OK) {
    sqlite3_close(connection);
    unavailable_ = true;
    return;
  }
  connection_ = connection;
  for (;;) {
    wanted_.wait(lock, [this] { return (requested_ && !restart_pending_) || stopping_; });
    if (stopping_) break;
    requested_ = false;
    in_round_ = true;
    lock.unlock();
    // PASSIVE: copies the frames committed so far without taking the writer's lock. The
    // commits made meanwhile ask for another round; the WAL starts over from its beginning at
    // the first write after a round that copied everything.
    const int status =
        sqlite3_wal_checkpoint_v2(connection, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    in_round_ = false;
    if (status == SQLITE_OK) ++background_checkpoints_;
  }
  connection_ = nullptr;
  lock.unlock();
  // Last, so that the writer's connection, closed after this one, is the last one and
  // checkpoints and removes the WAL as SQLite does.
  sqlite3_close_v2(connection);
}

}  // namespace trend::storage
