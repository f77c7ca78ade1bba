#include "app/cli/rebuild.h"

#include <map>
#include <sstream>
#include <stdexcept>

#include "app/base/or_throw.h"
#include "app/documents/order_json.h"
#include "app/merchant/merchant.h"
#include "invoice/event_codec.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"

namespace app {

RebuildReport RebuildFromReplica(const std::string& db_path, const std::string& tax_id) {
  auto store = ledger::BlockStore::OpenExisting(db_path);
  OrThrow(store);
  auto head = (*store)->Head();
  if (!head.ok()) throw std::runtime_error("the replica is empty: start the node and let it catch up first");
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  CreateMerchantSchema(**db);  // a node that never ran has no tables yet
  ledger::sql::Transaction tx(db->get());
  OrThrow(tx.begin_status());
  for (const char* t : {"app_invoice", "app_order", "app_payment", "app_refund"}) OrThrow((*db)->Exec(std::string("DELETE FROM ") + t));
  OrThrow((*db)->Exec("DELETE FROM app_meta WHERE key IN ('allocator', 'apply_entry')"));
  RebuildReport report;
  std::map<std::string, invoice::Order> orders;        // order id -> items of its blue invoice
  std::map<std::string, invoice::Party> buyers;
  std::map<std::string, std::string> paid_by;          // order id -> payment id
  std::map<std::string, invoice::Fen> refunded;        // order id -> refunded so far
  const uint64_t kPage = 10000;
  for (uint64_t begin = 0; begin < head->header.tree_size; begin += kPage) {
    auto leaves = (*store)->Leaves(begin, std::min(begin + kPage, head->header.tree_size));
    OrThrow(leaves);
    for (const auto& leaf : *leaves) {
      if (!leaf.entry) continue;
      auto entry = ledger::Entry::Decode(*leaf.entry);
      if (!entry.ok() || entry->kind != "issue" || entry->submitter != tax_id) continue;
      auto event = invoice::DecodeEvent("issue", std::string(entry->payload.begin(), entry->payload.end()));
      if (!std::holds_alternative<invoice::Event>(event)) throw std::runtime_error("a sealed issue entry does not decode");
      const invoice::Invoice& inv = std::get<invoice::IssueEvent>(std::get<invoice::Event>(event)).invoice;
      auto height = (*store)->HeightOfLeaf(leaf.index);
      OrThrow(height);
      auto ins = (*db)->Prepare(
          "INSERT INTO app_invoice(invoice_no, order_id, color, original_no, total_fen, issued_ms, status, entry, leaf_hash, "
          "height, leaf_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sealed', ?7, ?8, ?9, ?10)");
      OrThrow(ins);
      ins->Bind(1, inv.invoice_no).Bind(2, inv.order_id).Bind(3, std::string(invoice::ColorName(inv.color)));
      if (inv.original_no.empty()) ins->BindNull(4);
      else ins->Bind(4, inv.original_no);
      ins->Bind(5, inv.TotalFen()).Bind(6, static_cast<int64_t>(inv.issued_at_ms)).Bind(7, ledger::ByteView(*leaf.entry))
          .Bind(8, leaf.leaf_hash.Hex()).Bind(9, static_cast<int64_t>(*height)).Bind(10, static_cast<int64_t>(leaf.index));
      OrThrow(ins->Run());
      ++report.invoices;
      if (inv.color == invoice::Color::kBlue) {
        orders[inv.order_id] = invoice::Order{inv.order_id, inv.lines, inv.buyer};
        paid_by[inv.order_id] = inv.payment_id;
        auto p = (*db)->Prepare("INSERT INTO app_payment(payment_id, order_id, amount_fen, received_ms) VALUES (?1, ?2, ?3, ?4)");
        OrThrow(p->Bind(1, inv.payment_id).Bind(2, inv.order_id).Bind(3, inv.TotalFen())
                  .Bind(4, static_cast<int64_t>(inv.issued_at_ms)).Run());
        ++report.payments;
      } else {
        refunded[inv.order_id] -= inv.TotalFen();
        auto r = (*db)->Prepare(
            "INSERT INTO app_refund(refund_id, order_id, amount_fen, received_ms, red_invoice_no) VALUES (?1, ?2, ?3, ?4, ?5)");
        OrThrow(r->Bind(1, inv.payment_id).Bind(2, inv.order_id).Bind(3, -inv.TotalFen())
                  .Bind(4, static_cast<int64_t>(inv.issued_at_ms)).Bind(5, inv.invoice_no).Run());
        ++report.refunds;
      }
    }
  }
  for (const auto& [id, order] : orders) {
    Poco::JSON::Object::Ptr o = OrderItemsJson(order);
    o->set("order_id", id);
    std::ostringstream items, buyer;
    o->stringify(items);
    PartyJson(*order.buyer)->stringify(buyer);
    bool fully_refunded = refunded[id] == order.TotalFen();
    auto s = (*db)->Prepare(
        "INSERT INTO app_order(order_id, order_json, buyer_json, status, payment_id, total_fen, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)");
    OrThrow(s->Bind(1, id).Bind(2, items.str()).Bind(3, buyer.str()).Bind(4, fully_refunded ? "refunded" : "invoiced")
              .Bind(5, paid_by[id]).Bind(6, order.TotalFen()).Run());
    ++report.orders;
  }
  OrThrow(tx.Commit());
  return report;
}

}  // namespace app
