// app::ScanQr on pictures it must refuse. Regression: a PNG whose header claims more than
// 24 megapixels was refused without freeing what libpng had allocated for it (about 1.6 KB a
// picture, so a client could grow a node's memory by uploading such headers; LeakSanitizer
// reported it in the ASan suite and qr_scan_fuzz).
#include <gtest/gtest.h>
#include <malloc.h>

#include <stdexcept>

#include "app/company/qr_scan.h"
#include "invoice/qr.h"

namespace app {
namespace {

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void PutU32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
}

// A real QR PNG whose IHDR says width x height (CRC fixed up): libpng reads the header, the
// size check refuses it.
std::string PngClaiming(uint32_t width, uint32_t height) {
  auto png = invoice::QrPng("https://example.com/r/26441000000000000001");
  std::string s(png->begin(), png->end());
  PutU32(s, 16, width);  // signature (8), length (4), "IHDR" (4), then width and height
  PutU32(s, 20, height);
  PutU32(s, 29, Crc32(reinterpret_cast<const uint8_t*>(s.data()) + 12, 17));
  return s;
}

TEST(ScanQr, ReadsTheCodeOfAPicture) {
  auto png = invoice::QrPng("https://example.com/r/26441000000000000001");
  EXPECT_EQ(ScanQr(std::string(png->begin(), png->end())), "https://example.com/r/26441000000000000001");
}

TEST(ScanQr, APictureOverTheLimitIsRefusedAndCostsNoMemory) {
  const std::string huge = PngClaiming(6000, 5000);
  EXPECT_THROW(ScanQr(huge), std::invalid_argument);
  // Without ASan, the leak shows as heap growth (1.6 KB a picture); under ASan mallinfo2
  // reports nothing and LeakSanitizer fails the run at exit instead.
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 2000; ++i) EXPECT_THROW(ScanQr(huge), std::invalid_argument);
  const size_t after = mallinfo2().uordblks;
  EXPECT_LT(after, before + 256 * 1024) << "ScanQr kept " << (after - before) / 2000 << " bytes per refused picture";
}

}  // namespace
}  // namespace app
