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

}  // namespace trend
