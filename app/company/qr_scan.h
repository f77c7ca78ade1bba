// Reads the QR code in an uploaded picture (a PNG screenshot or a JPEG phone photo) with
// zbar, the maintained decoder Debian ships. Images are decoded to 8-bit grey with libpng or
// libjpeg first.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace app {

// The text of the first QR code in the image, or nullopt when it holds none. Throws
// std::invalid_argument (with a sentence for the user) when the bytes are not a PNG or JPEG
// this can decode, or the picture is larger than kMaxScanPixels.
//
// WARNING: zbar's work grows much faster than the pixel count on pictures full of
// finder-like squares (a 4000 x 4000 one took 300 CPU-seconds), so every picture is scaled
// down to at most kDecodePixels before zbar sees it (a phone photo of a QR code still reads);
// callers also bound how many decodes run at once (QrDecoder).
inline constexpr uint64_t kMaxScanPixels = 24'000'000;   // pictures larger are refused
inline constexpr uint64_t kDecodePixels = 1'200'000;     // what zbar is given at most
struct ScanLimits {
  uint64_t max_pixels = kMaxScanPixels;
  uint64_t decode_pixels = kDecodePixels;
};
// The node always uses the defaults; the fuzz target (tests/fuzz/qr_scan_fuzz.cc) uses small
// ones, so that each execution costs milliseconds rather than a 24-megapixel decode.
std::optional<std::string> ScanQr(std::string_view image, const ScanLimits& limits = {});

// Decodes on one worker thread of its own, a few pictures queued at most: the CPU that
// pictures cost a node is one core, whoever sends them. Thread-safe.
class QrDecoder {
 public:
  QrDecoder();
  ~QrDecoder();
  enum class Outcome { kDone, kBusy, kTimedOut };
  struct Result {
    Outcome outcome = Outcome::kDone;
    std::optional<std::string> text;  // kDone: the code's text, if one was found
    std::string error;                // kDone: the picture could not be read (a sentence)
  };
  // Waits up to `wait_ms` for the picture's turn and its decoding.
  Result Decode(std::string image, int wait_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace app
