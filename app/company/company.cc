#include "app/company/company.h"

#include <Poco/URI.h>

#include "app/base/or_throw.h"
#include "app/base/secrets.h"
#include "app/http/api_error.h"
#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {
namespace {

// What the check told us about a claimed invoice, for listing claims: the company may not
// read the issue entry of an invoice made out to a person.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS app_claim_info(invoice_no TEXT PRIMARY KEY, seller_name TEXT NOT NULL,
  seller_tax_id TEXT NOT NULL, total_fen INTEGER NOT NULL);
)";

bool IsHex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool IsInvoiceNo(const std::string& s) {
  return s.size() == 20 && s.find_first_not_of("0123456789") == std::string::npos;
}

// How long a check waits for this node's replica to hold the block that sealed the invoice.
constexpr int kReplicaWaitMs = 3000;

}  // namespace

Company::Company(SyncSubmitter& submitter, ledger::BlockStore& store, PartyView& view, const std::string& db_path,
                 Clock clock)
    : tax_id_(submitter.tax_id()), submitter_(submitter), store_(store), view_(view), clock_(std::move(clock)) {
  MutexLock lock(db_mu_);
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  db_ = std::move(db).value();
  auto s = db_->Exec(kSchema);
  OrThrow(s);
}

invoice::EventMeta Company::Meta(const std::string& what) {
  return invoice::EventMeta{what + "-" + RandomHex(8), clock_()};
}

CheckedInvoice Company::Check(const std::string& no, const std::string& h, const std::optional<std::string>& a) {
  if (!IsInvoiceNo(no)) throw ApiError(422, "invalid_invoice_no", "invoice_no is 20 digits", "invoice_no");
  if (!IsHex(h, 16)) throw ApiError(422, "invalid_h", "h is the 16 hex digits after h= in the invoice's QR code", "h");
  std::string uri = "/v1/check/" + no + "?h=" + h;
  if (a) {
    std::string encoded;  // the amount comes from the scanned code or the page's query: encode it
    Poco::URI::encode(*a, "&=?#+%/ ", encoded);
    uri += "&a=" + encoded;
  }
  Poco::JSON::Object::Ptr r = submitter_.Check(uri);
  if (!r->optValue<bool>("genuine", false)) {
    std::string reason = r->optValue<std::string>("reason", "");
    if (reason == "unknown_invoice") throw ApiError(404, "unknown_invoice", "no invoice " + no + " is on the chain", "invoice_no");
    throw ApiError(422, "not_genuine", r->optValue<std::string>("message", "the invoice is not genuine"),
                   reason == "amount_mismatch" ? "a" : "h");
  }
  CheckedInvoice c;
  c.invoice_no = no;
  c.color = r->getValue<std::string>("color");
  c.seller_name = r->getObject("seller")->getValue<std::string>("name");
  c.seller_tax_id = r->getObject("seller")->getValue<std::string>("tax_id");
  c.issued_at = r->getValue<std::string>("issued_at");
  c.total_fen = r->getValue<int64_t>("total_fen");
  c.remaining_fen = r->getValue<int64_t>("remaining_fen");
  c.buyer_is_company = r->getValue<bool>("buyer_is_company");
  c.reimbursement = r->getValue<std::string>("reimbursement");
  auto l = r->getObject("ledger");
  c.height = l->getValue<uint64_t>("height");
  c.leaf_index = l->getValue<uint64_t>("leaf_index");
  c.leaf_hash = l->getValue<std::string>("leaf_hash");
  // Trust, but verify: the leaf must be where the authority says in the chain this node
  // holds and verified itself (block by block, signature and root).
  auto hash = ledger::HashFromHex(c.leaf_hash);
  if (!hash || c.leaf_hash.substr(0, 16) != h)
    throw ApiError(503, "chain_mismatch", "the authority's answer does not match the code scanned");
  if (!view_.WaitForHeight(c.height, kReplicaWaitMs))
    throw ApiError(503, "replica_behind", "this node has not yet replicated the block that sealed the invoice; try again");
  auto at = store_.FindLeaf(*hash);
  if (!at.ok() || !*at || **at != c.leaf_index)
    throw ApiError(503, "chain_mismatch", "the invoice's leaf is not where the authority says in this node's chain");
  return c;
}

SealedAt Company::Claim(const std::string& employee, const std::string& no, const std::string& h) {
  CheckedInvoice c = Check(no, h);
  {
    MutexLock lock(db_mu_);
    auto s = db_->Prepare("INSERT INTO app_claim_info(invoice_no, seller_name, seller_tax_id, total_fen) "
                          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(invoice_no) DO NOTHING");
    OrThrow(s);
    auto st = s->Bind(1, no).Bind(2, c.seller_name).Bind(3, c.seller_tax_id).Bind(4, c.total_fen).Run();
    OrThrow(st);
  }
  return submitter_.Submit(invoice::ReimburseEvent{Meta("claim"), invoice::ReimburseAction::kClaim, no, tax_id_, employee, c.leaf_hash});
}

SealedAt Company::Settle(const std::string& no) {
  if (!IsInvoiceNo(no)) throw ApiError(422, "invalid_invoice_no", "invoice_no is 20 digits", "invoice_no");
  return submitter_.Submit(invoice::ReimburseEvent{Meta("settle"), invoice::ReimburseAction::kSettle, no, tax_id_, "", ""});
}

SealedAt Company::Release(const std::string& no) {
  if (!IsInvoiceNo(no)) throw ApiError(422, "invalid_invoice_no", "invoice_no is 20 digits", "invoice_no");
  return submitter_.Submit(invoice::ReimburseEvent{Meta("release"), invoice::ReimburseAction::kRelease, no, tax_id_, "", ""});
}

SealedAt Company::Answer(const std::string& request_id, bool accept) {
  return submitter_.Submit(invoice::ConfirmEvent{Meta(accept ? "accept" : "refuse"),
                                      accept ? invoice::ConfirmAction::kAccept : invoice::ConfirmAction::kRefuse,
                                      request_id, "", 0, ""});
}

std::vector<ClaimRecord> Company::Claims(const std::string& employee) {
  std::vector<ClaimRecord> out = view_.With([&](const invoice::Lifecycle& lc) {
    std::vector<ClaimRecord> v;
    lc.ForEachInvoice([&](const std::string& no, const invoice::InvoiceState& st) {
      // Each claim this company made, with how it ended: the next settle or release.
      for (size_t i = 0; i < st.history.size(); ++i) {
        const invoice::Step& step = st.history[i];
        if (step.kind != invoice::Step::Kind::kClaimed || step.company != tax_id_) continue;
        if (!employee.empty() && step.employee != employee) continue;
        ClaimRecord c{no, "locked", step.employee, step.place.height, step.place.time_ms, 0, "", "", 0};
        for (size_t j = i + 1; j < st.history.size(); ++j) {
          const auto k = st.history[j].kind;
          if (k == invoice::Step::Kind::kSettled || k == invoice::Step::Kind::kReleased) {
            c.status = k == invoice::Step::Kind::kSettled ? "settled" : "released";
            c.closed_height = st.history[j].place.height;
            break;
          }
        }
        v.push_back(std::move(c));
      }
    });
    return v;
  });
  MutexLock lock(db_mu_);
  auto s = db_->Prepare("SELECT seller_name, seller_tax_id, total_fen FROM app_claim_info WHERE invoice_no = ?1");
  OrThrow(s);
  for (ClaimRecord& c : out) {
    s->Reset();
    auto row = s->Bind(1, c.invoice_no).Step();
    if (row.ok() && *row) {
      c.seller_name = s->Text(0);
      c.seller_tax_id = s->Text(1);
      c.total_fen = s->Int(2);
    }
  }
  std::sort(out.begin(), out.end(), [](const ClaimRecord& a, const ClaimRecord& b) { return a.claimed_height > b.claimed_height; });
  return out;
}

}  // namespace app
