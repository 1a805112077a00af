#include "server/environment_variable.hpp"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <vector>

namespace trend {
namespace {

std::atomic<std::size_t> next_instance{0};

}  // namespace

EnvironmentVariable::EnvironmentVariable(std::string name)
    : prefix_(std::move(name) + "="), instance_(next_instance++) {}

const char* EnvironmentVariable::Scan(Location& where) const {
  where = Location{environ, false, 0, nullptr};
  if (environ == nullptr) return nullptr;
  std::size_t i = 0;
  for (; environ[i] != nullptr; ++i) {
    if (std::strncmp(environ[i], prefix_.data(), prefix_.size()) == 0) {
      where.found = true;
      where.slot = i;
      where.entry = environ[i];
      return environ[i] + prefix_.size();
    }
  }
  where.slot = i;
  where.entry = i == 0 ? nullptr : environ[i - 1];
  return nullptr;
}

const char* EnvironmentVariable::Get() const {
  // Per thread, so readers never contend.
  thread_local std::vector<Location> cache;
  if (cache.size() <= instance_) cache.resize(instance_ + 1);
  Location& where = cache[instance_];
  char** const environment = environ;
  if (environment == nullptr || environment != where.environment) return Scan(where);
  if (where.found) {
    // Still there iff its slot holds the same entry: a new value or a shifted array puts
    // another pointer there.
    if (environment[where.slot] == where.entry) return where.entry + prefix_.size();
    return Scan(where);
  }
  // Still absent iff the array has the same count and the same last entry: adding a variable
  // lengthens it or changes its last entry, removing one shortens it.
  const std::size_t count = where.slot;
  const bool same =
      environment[count] == nullptr && (count == 0 || environment[count - 1] == where.entry);
  return same ? nullptr : Scan(where);
}

}  // namespace trend
