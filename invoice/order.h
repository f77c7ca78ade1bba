// Orders and the invoices made from them: a paid order becomes a blue invoice; a refund
// becomes a red invoice reversing the original, whole lines first, in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "invoice/invoice.h"

namespace invoice {

struct Order {
  std::string order_id;
  std::vector<Line> items;
  std::optional<Party> buyer;  // absent until the buyer applies for the invoice
  Fen TotalFen() const;
};

// Checks an order as the contract's POST /v1/orders receives it (field paths "items[i].x").
std::optional<Problem> ValidateOrder(const Order& order);

// The blue invoice for a paid order. The caller supplies the number (from its allocator),
// the time and the payment it was paid by.
Invoice MakeBlue(const Order& order, const Party& seller, const Party& buyer, const std::string& invoice_no,
                 uint64_t issued_at_ms, const std::string& payment_id);

// A red invoice reversing `amount_fen` (> 0) of `original`, of which `already_reversed_fen`
// was reversed before. Whole lines are mirrored in order while they fit; the line where
// the amount runs out is reversed as quantity -1 at the remaining amount.
Invoice MakeRed(const Invoice& original, Fen already_reversed_fen, Fen amount_fen, const std::string& invoice_no,
                uint64_t issued_at_ms, const std::string& refund_id, const std::string& reason,
                const std::string& confirmation_id = "");

}  // namespace invoice
