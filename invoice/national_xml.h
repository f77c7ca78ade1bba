// The national-style invoice XML (modelled on the fully digitalised e-invoice's EInvoice
// document): the payload of an `issue` event on the chain and the `.xml` download. The
// encoding is canonical (fixed element order, no whitespace, no declaration, UTF-8), and
// the decoder accepts only canonical bytes, so Decode(Encode(inv)) == inv and a document
// that decodes re-encodes to exactly its own bytes.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "invoice/invoice.h"

namespace invoice {

std::string EncodeInvoiceXml(const Invoice& inv);
// The invoice, or the problem with the bytes (field = the element at fault). `checked`
// false only reads the fields (no Validate, no canonical check): for showing an invoice a
// node stored, whatever became of it, never for accepting one.
std::variant<Invoice, Problem> DecodeInvoiceXml(std::string_view xml, bool checked = true);

// Fen-denominated unit price <-> the document's yuan unit price ("12.5" fen <-> "0.125").
std::string FenDecimalToYuan(const Decimal& fen);
std::optional<Decimal> YuanToFenDecimal(std::string_view yuan);

}  // namespace invoice
