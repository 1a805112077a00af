// Content digests: a dataset's id is the SHA-256 of its bytes, and a run's id the SHA-256 of
// its inputs, so identical uploads and runs share one id on every server and worker.
#pragma once

#include <string>
#include <string_view>

namespace trend {

// SHA-256 of the bytes, lower-case hex (64 characters). Uses OpenSSL's EVP interface.
std::string Sha256Hex(std::string_view bytes);

}  // namespace trend
