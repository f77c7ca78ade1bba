// The national-style invoice XML (invoice::DecodeInvoiceXml): checked, as the authority admits
// an issue event (an accepted document re-encodes to exactly itself, and its totals are
// computable), and unchecked, as a node shows an invoice it stored.
#include <string>

#include "invoice/national_xml.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml = fuzz::AsText(data, size);
  auto checked = invoice::DecodeInvoiceXml(xml, /*checked=*/true);
  if (auto* inv = std::get_if<invoice::Invoice>(&checked)) {
    FUZZ_CHECK(invoice::EncodeInvoiceXml(*inv) == xml);
    (void)inv->NetFen();
    (void)inv->TaxFen();
    (void)inv->TotalFen();
  }
  (void)invoice::DecodeInvoiceXml(xml, /*checked=*/false);
  return 0;
}
