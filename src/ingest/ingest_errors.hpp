// Errors of `trend ingest` beyond a bad source or database (InputError).
#pragma once

#include "error/input_error.hpp"

namespace trend::ingest {

// More lines rejected than --max-reject-rate allows: the stream is probably not in the format
// given. Exit 2; what was accepted before stays loaded.
class RejectRateError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace trend::ingest
