// The invoice's QR code: the contract's payload URL
//   <authority public URL>/r/{invoice_no}?h=<first 16 hex of leaf hash>&a=<total, yuan>
// and its images, SVG and PNG (libqrencode, error correction M, 4-module quiet zone).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "invoice/money.h"

namespace invoice {

std::string QrPayloadUrl(const std::string& authority_url, const std::string& invoice_no,
                         const std::string& leaf_hash_hex, Fen total_fen);

// nullopt only if the text cannot be encoded (over the QR capacity).
std::optional<std::string> QrSvg(const std::string& text, int module_px = 4);
std::optional<std::vector<uint8_t>> QrPng(const std::string& text, int module_px = 4);

// The code's modules, for drawing it with another library (the PDF): `width` x `width`,
// row by row, true for dark; the quiet zone (4 modules) is the drawer's to leave.
struct QrModules {
  int width = 0;
  std::vector<bool> dark;
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};
std::optional<QrModules> QrModulesOf(const std::string& text);

}  // namespace invoice
