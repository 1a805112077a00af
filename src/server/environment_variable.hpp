// An environment variable read on every call, cheaply. getenv scans the whole environment
// (about 40 ns with 40 variables), which would double the cost of a simple-mode proxy
// resolution. This remembers where the variable was found and re-scans only when the
// environment's layout changed: setenv, unsetenv and putenv all change the `environ` array or
// the slot's pointer. The value itself is read afresh each time, so a putenv buffer edited in
// place is seen too. Like getenv, it must not race with a concurrent setenv. Meant for a few
// long-lived (static) variables: each instance has a slot in every reading thread.
#pragma once

#include <cstddef>
#include <string>

namespace trend {

class EnvironmentVariable {
 public:
  explicit EnvironmentVariable(std::string name);
  // The current value, or nullptr when unset; the same answer getenv gives.
  const char* Get() const;

 private:
  struct Location {
    char** environment = nullptr;  // `environ` when last scanned; nullptr: never scanned
    bool found = false;
    std::size_t slot = 0;         // the variable's slot; when absent, the variable count
    const char* entry = nullptr;  // the variable's entry; when absent, the last entry
  };
  const char* Scan(Location& where) const;

  std::string prefix_;  // "NAME="
  std::size_t instance_;
};

}  // namespace trend
