// Random identifiers and comparisons that do not leak where secrets differ, through
// OpenSSL. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace app {

// `bytes` random bytes (RAND_bytes) as lowercase hex; throws if OpenSSL has no randomness.
std::string RandomHex(size_t bytes);
// Compares in time independent of where the strings differ (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace app
