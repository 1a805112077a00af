#include "bloom/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "bloom/bloom_error.hpp"

namespace trend::bloom {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::shared_ptr<void> OwnMapping(void* address, std::size_t length) {
  return std::shared_ptr<void>(address, [length](void* mapped) { munmap(mapped, length); });
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Reason() {
  return std::strerror(errno);
}

}  // namespace

// A large filter gets 2 MiB-aligned memory advised for huge pages, and is touched here, once:
// its keys land on random pages, so with 4 KiB pages nearly every probe also misses the TLB, and
// left to fault in lazily, the first inserts pay the kernel's page faults (each costs tens of
// microseconds in a VM). Built up front, an insert only ever touches memory.
FileBytes ZeroedBytes(std::size_t bytes) {
  if (bytes < kHugePage) {
    const std::size_t length = std::max<std::size_t>(bytes, 64);
    void* address =
        mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) throw std::bad_alloc();
    return {OwnMapping(address, length), static_cast<std::byte*>(address), bytes};
  }
  const std::size_t length = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  // Over-mapped by one huge page so that an aligned start can be cut out of it.
  void* raw =
      mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  if (const std::size_t tail = kHugePage - (aligned - start); tail > 0) {
    munmap(reinterpret_cast<void*>(aligned + length), tail);
  }
  auto* address = reinterpret_cast<std::byte*>(aligned);
  madvise(address, length, MADV_HUGEPAGE);  // a hint; may be refused
  for (std::size_t at = 0; at < length; at += 4096) {
    reinterpret_cast<volatile std::byte*>(address)[at] = std::byte{0};
  }
  return {OwnMapping(address, length), address, bytes};
}

FileBytes ReadFileBytes(const std::string& path, bool map) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw FilterFileError(fmt::format("{}: cannot open: {}", path, Reason()));
  struct stat info {};
  if (fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw FilterFileError(fmt::format("{}: not a regular file", path));
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size == 0) throw FilterFileError(fmt::format("{}: empty file", path));
  if (map) {
    void* address = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0);
    if (address == MAP_FAILED) {
      throw FilterFileError(fmt::format("{}: cannot map: {}", path, Reason()));
    }
    return {OwnMapping(address, size), static_cast<std::byte*>(address), size};
  }
  FileBytes bytes = ZeroedBytes(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = read(fd.get(), bytes.data + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw FilterFileError(fmt::format("{}: cannot read: {}", path, Reason()));
    done += static_cast<std::size_t>(got);
  }
  return bytes;
}

void WriteFileAtomically(const std::string& path, std::initializer_list<std::string_view> parts) {
  const std::string temporary = fmt::format("{}.tmp.{}", path, getpid());
  FileDescriptor fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw FilterFileError(fmt::format("{}: cannot write: {}", path, Reason()));
  auto fail = [&](const char* what) {
    const std::string reason = Reason();
    unlink(temporary.c_str());
    throw FilterFileError(fmt::format("{}: cannot {}: {}", path, what, reason));
  };
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t wrote = write(fd.get(), part.data(), part.size());
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) fail("write");
      part.remove_prefix(static_cast<std::size_t>(wrote));
    }
  }
  if (fsync(fd.get()) != 0) fail("flush");
  if (rename(temporary.c_str(), path.c_str()) != 0) fail("rename");
}

}  // namespace trend::bloom
