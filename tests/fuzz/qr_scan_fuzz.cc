// Uploaded pictures (app::ScanQr): PNG through libpng, JPEG through libjpeg, then zbar, as the
// company node's /scan page reads them. A picture that cannot be read is an
// std::invalid_argument (a sentence for the user); nothing else may escape.
#include <stdexcept>

#include "app/company/qr_scan.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)app::ScanQr(fuzz::AsText(data, size));
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
