// Uploaded pictures (app::ScanQr): PNG through libpng, JPEG through libjpeg, then zbar, as the
// company node's /scan page reads them. A picture that cannot be read is an
// std::invalid_argument (a sentence for the user); nothing else may escape.
//
// With the node's limits a 150-byte PNG that declares 24 megapixels is decoded in full
// before it is scaled (the cost the node bounds with one decoder thread): ~30 ms an
// execution under ASan, too slow to fuzz. The same code runs here with small limits
// (64k pixels, 16k for zbar), so the parsers, the size checks and the scaling are fuzzed at
// about a thousand executions a second.
#include <stdexcept>

#include "app/company/qr_scan.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)app::ScanQr(fuzz::AsText(data, size), app::ScanLimits{65536, 16384});
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
