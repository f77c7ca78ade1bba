#include "invoice/disclosure.h"

namespace invoice {

bool MayRead(const Lifecycle& lc, const std::string& tax_id, const std::string& submitter, const Event* event) {
  if (submitter == tax_id) return true;
  if (!event) return false;
  // The parties of an invoice: its seller, its buyer, and the company that claims it.
  auto party_of = [&](const std::string& no) {
    const InvoiceState* st = lc.FindInvoice(no);
    return st && (st->invoice.seller.tax_id == tax_id || st->invoice.buyer.tax_id == tax_id || st->claimant == tax_id);
  };
  if (auto* e = std::get_if<RegisterEvent>(event)) return e->tax_id == tax_id;
  if (auto* e = std::get_if<IssueEvent>(event))
    return e->invoice.buyer.tax_id == tax_id || (!e->invoice.original_no.empty() && party_of(e->invoice.original_no));
  if (auto* e = std::get_if<ReimburseEvent>(event)) return party_of(e->invoice_no);
  if (auto* e = std::get_if<ConfirmEvent>(event)) {
    const ConfirmationState* c = lc.FindConfirmation(e->request_id);
    return c && (c->seller == tax_id || c->company == tax_id);
  }
  return false;
}

}  // namespace invoice
