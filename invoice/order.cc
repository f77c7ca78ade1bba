#include "invoice/order.h"

#include "invoice/credit_code.h"

namespace invoice {

Fen Order::TotalFen() const {
  Fen t = 0;
  for (const Line& l : items) t += l.gross_fen;
  return t;
}

std::optional<Problem> ValidateOrder(const Order& o) {
  if (o.order_id.empty() || o.order_id.size() > 64)
    return Problem{"invalid_field", "order_id", "order_id is 1..64 characters"};
  for (char c : o.order_id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return Problem{"invalid_field", "order_id", "order_id uses only letters, digits, '-', '_' and '.'"};
  if (o.items.empty()) return Problem{"missing_field", "items", "an order has at least one item"};
  if (o.items.size() > kMaxLines) return Problem{"too_many_lines", "items", "an order has at most 2000 items"};
  Invoice probe;  // reuse the invoice's rules for lines and parties
  probe.invoice_no = "00000000000000000000";
  probe.seller = {"probe", "91350100M000100Y43", ""};
  probe.buyer = o.buyer.value_or(Party{"probe", "", ""});
  probe.lines = o.items;
  probe.payment_id = "probe";
  return Validate(probe);
}

Invoice MakeBlue(const Order& order, const Party& seller, const Party& buyer, const std::string& invoice_no,
                 uint64_t issued_at_ms, const std::string& payment_id) {
  Invoice inv;
  inv.invoice_no = invoice_no;
  inv.color = Color::kBlue;
  inv.issued_at_ms = issued_at_ms;
  inv.seller = seller;
  inv.buyer = buyer;
  inv.lines = order.items;
  inv.order_id = order.order_id;
  inv.payment_id = payment_id;
  return inv;
}

Invoice MakeRed(const Invoice& original, Fen already_reversed_fen, Fen amount_fen, const std::string& invoice_no,
                uint64_t issued_at_ms, const std::string& refund_id, const std::string& reason,
                const std::string& confirmation_id) {
  Invoice red;
  red.invoice_no = invoice_no;
  red.color = Color::kRed;
  red.issued_at_ms = issued_at_ms;
  red.seller = original.seller;
  red.buyer = original.buyer;
  red.order_id = original.order_id;
  red.payment_id = refund_id;
  red.original_no = original.invoice_no;
  red.red_reason = reason;
  red.confirmation_id = confirmation_id;
  Fen skip = already_reversed_fen, left = amount_fen;
  for (const Line& l : original.lines) {
    if (left == 0) break;
    Fen available = l.gross_fen;
    if (skip >= available) {  // reversed by earlier red invoices
      skip -= available;
      continue;
    }
    available -= skip;
    Line r = l;
    if (skip == 0 && left >= available) {  // the whole line, mirrored
      r.quantity.units = -l.quantity.units;
      r.gross_fen = -l.gross_fen;
    } else {  // part of a line: quantity -1 at the reversed amount
      Fen part = std::min(left, available);
      r.quantity = Decimal{-1, 0};
      r.unit_price_fen = Decimal{part, 0};
      r.gross_fen = -part;
    }
    left += r.gross_fen;
    skip = 0;
    red.lines.push_back(r);
  }
  return red;
}

}  // namespace invoice
