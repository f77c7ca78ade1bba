// Reads the QR code in an uploaded picture (a PNG screenshot or a JPEG phone photo) with
// zbar, the maintained decoder Debian ships. Images are decoded to 8-bit grey with libpng or
// libjpeg first.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace app {

// The text of the first QR code in the image, or nullopt when it holds none. Throws
// std::invalid_argument (with a sentence for the user) when the bytes are not a PNG or JPEG
// this can decode, or the picture is larger than kMaxScanPixels.
std::optional<std::string> ScanQr(std::string_view image);
inline constexpr uint64_t kMaxScanPixels = 40'000'000;

}  // namespace app
