// The one error type for expected failures caused by user input (a file, a config key, an
// infeasible constraint). It is caught at the program's boundary and reported as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace trend {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// A config that cannot be used, whatever the data: raised at the edge (or by the core for a
// setting it finds unusable), never turned into a skipped period.
class ConfigError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace trend
