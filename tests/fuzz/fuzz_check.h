// What every fuzz target shares: a property check that stops the run as a crash (libFuzzer
// then keeps the input), and the fixed keys and clock the targets run against.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// A broken property is a finding like a crash: abort, so that libFuzzer saves the input.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace fuzz {

// The demo merchant's settings (fixtures/demo/merchant.properties): the seeds are made with
// them, so that a seed gets past the checks to the parsing behind them.
inline constexpr std::string_view kMerchantTaxId = "91440300MA5DQ3QP4X";
inline constexpr std::string_view kWechatMchid = "1900000109";
inline constexpr std::string_view kWechatApiV3Key = "demo-api-v3-key-0123456789abcdef";
inline constexpr std::string_view kGenericSecret = "whsec_demo_generic_secret";
// A fixed "now" (2026-11-15T00:00:00Z), so that a run is reproducible from its input alone.
inline constexpr uint64_t kNowMs = 1794700800000;

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace fuzz
