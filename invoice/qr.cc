#include "invoice/qr.h"

#include <png.h>
#include <qrencode.h>

#include <memory>

namespace invoice {
namespace {

constexpr int kQuiet = 4;  // modules of white border, as ISO/IEC 18004 asks

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

QrPtr Encode(const std::string& text) {
  return QrPtr(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M));
}

bool Dark(const QRcode* q, int x, int y) {
  if (x < 0 || y < 0 || x >= q->width || y >= q->width) return false;
  return q->data[y * q->width + x] & 1;
}

void AppendToVector(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

}  // namespace

std::string QrPayloadUrl(const std::string& authority_url, const std::string& invoice_no,
                         const std::string& leaf_hash_hex, Fen total_fen) {
  std::string base = authority_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/r/" + invoice_no + "?h=" + leaf_hash_hex.substr(0, 16) + "&a=" + FormatYuan(total_fen);
}

std::optional<std::string> QrSvg(const std::string& text, int px) {
  QrPtr q = Encode(text);
  if (!q) return std::nullopt;
  int size = (q->width + 2 * kQuiet) * px;
  std::string path;
  for (int y = 0; y < q->width; ++y)
    for (int x = 0; x < q->width; ++x)
      if (Dark(q.get(), x, y))
        path += "M" + std::to_string((x + kQuiet) * px) + " " + std::to_string((y + kQuiet) * px) + "h" +
                std::to_string(px) + "v" + std::to_string(px) + "h-" + std::to_string(px) + "z";
  std::string s = std::to_string(size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + s + "\" height=\"" + s + "\" viewBox=\"0 0 " + s +
         " " + s + "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

std::optional<QrModules> QrModulesOf(const std::string& text) {
  QrPtr q = Encode(text);
  if (!q) return std::nullopt;
  QrModules m;
  m.width = q->width;
  m.dark.resize(static_cast<size_t>(q->width) * q->width);
  for (int y = 0; y < q->width; ++y)
    for (int x = 0; x < q->width; ++x) m.dark[static_cast<size_t>(y) * q->width + x] = Dark(q.get(), x, y);
  return m;
}

std::optional<std::vector<uint8_t>> QrPng(const std::string& text, int px) {
  QrPtr q = Encode(text);
  if (!q) return std::nullopt;
  int size = (q->width + 2 * kQuiet) * px;
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return std::nullopt;
  }
  std::vector<uint8_t> row((size + 7) / 8);
  if (setjmp(png_jmpbuf(png))) {  // libpng reports errors by longjmp
    png_destroy_write_struct(&png, &info);
    return std::nullopt;
  }
  png_set_write_fn(png, &out, AppendToVector, nullptr);
  // 1-bit grey, no filtering, fast zlib: the cheapest PNG that every reader understands.
  png_set_IHDR(png, info, size, size, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_filter(png, 0, PNG_FILTER_NONE);
  png_set_compression_level(png, 1);
  png_write_info(png, info);
  for (int y = 0; y < size; ++y) {
    std::fill(row.begin(), row.end(), 0);
    for (int x = 0; x < size; ++x)
      if (!Dark(q.get(), x / px - kQuiet, y / px - kQuiet)) row[x / 8] |= static_cast<uint8_t>(0x80 >> (x % 8));
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace invoice
