// Copies a WAL-mode SQLite database's committed pages back into its main file on a thread of its
// own, so that the connection that writes never waits for those copies or their fsyncs.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold: it syncs the
// WAL, copies every page and syncs the database before the writer may go on. In a bulk load that
// was a sixth of the wall time (2M log lines: three checkpoints of 64 MiB, 120 ms each, the writer
// blocked in fdatasync). Here the writer's commit only notes the WAL's size; this thread runs
// passive checkpoints beside it, which never block the writer.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace trend::storage {

class SqliteCheckpointer {
 public:
  // `path`: the database file, opened again for the thread's own connection. The thread starts
  // at the first checkpoint wanted, so a connection that writes little never has one.
  SqliteCheckpointer(std::string path, int frames_per_checkpoint);
  ~SqliteCheckpointer() { Stop(); }
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Installs this as `writer`'s WAL hook, in place of SQLite's automatic checkpoint.
  void Attach(sqlite3* writer);
  // Ends the thread (a checkpoint under way is cut short) and closes its connection. The
  // writer's WAL hook must not fire after this: call it just before closing the writer.
  void Stop();

  // Checkpoints run so far on the thread, and by the writer itself (for tests).
  std::int64_t background_checkpoints() const;
  std::int64_t writer_checkpoints() const;

 private:
  static int OnCommit(void* self, sqlite3* writer, const char* schema, int wal_frames);
  void Loop();

  const std::string path_;
  const int frames_per_checkpoint_;
  mutable std::mutex mutex_;
  std::condition_variable wanted_;
  bool requested_ = false;        // commits since the last round asked for one
  bool in_round_ = false;         // the thread is copying
  bool restart_pending_ = false;  // the writer is to copy the rest: no round starts meanwhile
  bool stopping_ = false;
  bool unavailable_ = false;       // the thread's connection could not be opened
  sqlite3* connection_ = nullptr;  // the thread's, while it is open
  std::int64_t background_checkpoints_ = 0;
  std::int64_t writer_checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace trend::storage
