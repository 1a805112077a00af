// Errors of the Bloom filter library, which depends on nothing else of ours: callers (the CLI,
// ingest) turn them into their own messages and exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace trend::bloom {

// A filter file that cannot be read: wrong magic, truncated, a checksum that does not match.
class FilterFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An add to a fixed-size filter already holding `capacity` keys (pybloom-live's IndexError):
// past that point the false-positive rate would exceed the one asked for.
class CapacityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parameters no filter can have: error rate outside (0, 1), capacity 0, unequal shapes in a
// union or intersection.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace trend::bloom
