// The authority's API: POST /v1/taxpayers and GET /v1/taxpayers/{tax_id} (bearer tokens),
// and POST /v1/events, where taxpayer nodes submit signed entries (node signature, see
// app/README.md "Node to node").
#include <Poco/JSON/Array.h>

#include "app/http/api_error.h"
#include "app/chain/chain_json.h"
#include "app/documents/invoice_json.h"
#include "app/http/json_body.h"
#include "app/authority/authority_routes.h"

#include "ledger/tlog.h"
#include "app/base/secrets.h"
#include "app/authority/authority_bodies.h"
#include "invoice/credit_code.h"
#include "invoice/amount_words.h"
#include "invoice/qr.h"
#include "invoice/time_format.h"
#include "invoice/ubl.h"
#include "ledger/merkle.h"
#include "ledger/entry.h"

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

AuthorityRoutes::PublicCheck AuthorityRoutes::CheckPublic(const std::string& no, const std::string& h, const std::optional<std::string>& a,
                                                      bool amount_required) {
  PublicCheck c;
  auto refuse = [&](const char* reason, std::string message) {
    c.reason = reason;
    c.message = std::move(message);
    return c;
  };
  auto leaf = authority_->LeafOfInvoice(no);
  if (!leaf) return refuse("unknown_invoice", "No invoice " + no + " was ever sealed on the chain.");
  auto leaves = store_->Leaves(*leaf, *leaf + 1);
  auto head = store_->Head();
  if (!leaves.ok() || leaves->empty() || !head.ok()) throw std::runtime_error("the chain lost invoice " + no);
  const ledger::Hash leaf_hash = leaves->front().leaf_hash;
  if (h.size() != 16 || !ConstantTimeEquals(h, leaf_hash.Hex().substr(0, 16)))
    return refuse("hash_mismatch", "The code does not match the invoice sealed under this number.");
  c.state = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) { return *lc.FindInvoice(no); });
  if ((a || amount_required) && a.value_or("") != invoice::FormatYuan(c.state.invoice.TotalFen()))
    return refuse("amount_mismatch", "The amount does not match the invoice sealed under this number.");
  // Prove it, rather than trust the database: the leaf is in the tree the head signs.
  auto proof = store_->InclusionProof(*leaf, head->header.tree_size);
  if (!proof.ok() || !head->SignatureValid(store_->authority_key()) ||
      !ledger::VerifyInclusion(*leaf, head->header.tree_size, leaf_hash, *proof, head->header.tree_root))
    throw std::runtime_error("the inclusion proof of invoice " + no + " does not verify");
  c.genuine = true;
  c.tree_size = head->header.tree_size;
  c.proof_len = proof->size();
  return c;
}

AuthorityRoutes::AuthorityRoutes(Config config, Site& site, Authority& authority, ledger::BlockStore& store,
                                 NodeCallers& callers)
    : config_(std::move(config)), site_(site), authority_(&authority), store_(&store), callers_(callers) {}

RevealFn AuthorityRoutes::EntryRevealer(Exchange& ex) {
  if (ex.request().has("Authorization")) {
    site_.Authorize(ex, {TokenRole::kAuditor, TokenRole::kAdmin});
    return {};  // the bureau sees everything
  }
  if (auto node = callers_.Caller(ex))
    return [this, node = *node](const ledger::LeafRecord& l) { return authority_->MayRead(node, *l.entry); };
  return [](const ledger::LeafRecord&) { return false; };
}

void AuthorityRoutes::Add(Router& r) {
  r.Add("POST", "/v1/taxpayers", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAdmin});
    RegisterBody body = RegisterFromJson(ParseJsonObject(ex.Body()));
    invoice::RegisterEvent ev;
    ev.tax_id = body.tax_id;
    ev.name = body.name;
    ev.node_key = body.node_key;
    ev.meta = {"register-" + ev.tax_id, site_.Now()};
    EntryOutcome o = authority_->Register(ev, site_.Now());
    if (!o.sealed)
      throw ApiError(invoice::RefusalStatus(o.verdict.refusal), std::string(invoice::RefusalCode(o.verdict.refusal)),
                     o.verdict.message, o.verdict.field == "node_key" ? "node_public_key" : o.verdict.field);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("tax_id", ev.tax_id);
    out->set("name", ev.name);
    out->set("node_key", ev.node_key);
    out->set("ledger", SealedPlaceJson(o.height, o.leaf_index, o.leaf_hash));
    ex.Json(201, out);
  });

  r.Add("GET", "/v1/taxpayers/([0-9A-Z]{18})", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAdmin, TokenRole::kAuditor});
    Object::Ptr out = authority_->WithLifecycle([&](const invoice::Lifecycle& lc) -> Object::Ptr {
      const invoice::RegisterEvent* reg = lc.FindTaxpayer(ex.Param(0));
      if (!reg) return nullptr;
      Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("tax_id", reg->tax_id);
      o->set("name", reg->name);
      o->set("node_key", reg->node_key);
      Array::Ptr ranges = new Array;
      for (const auto& range : lc.RangesOf(reg->tax_id)) {
        Object::Ptr g = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        g->set("prefix", range.prefix.ToString());
        g->set("first", range.first);
        g->set("count", range.count);
        ranges->add(g);
      }
      o->set("ranges", ranges);
      return o;
    });
    if (!out) throw ApiError::NotFound("no taxpayer " + ex.Param(0) + " is registered");
    ex.Json(200, out);
  });

  // The authority holds every invoice: auditors read any of them, with its live state.
  r.Add("GET", "/v1/invoices/([0-9]{20})", [this](Exchange& ex) {
    site_.Authorize(ex, {TokenRole::kAuditor});
    auto leaf = authority_->LeafOfInvoice(ex.Param(0));
    if (!leaf) throw ApiError::NotFound("no invoice " + ex.Param(0) + " is on the chain");
    auto leaves = store_->Leaves(*leaf, *leaf + 1);
    auto height = store_->HeightOfLeaf(*leaf);
    if (!leaves.ok() || leaves->empty() || !height.ok()) throw std::runtime_error("the chain lost invoice " + ex.Param(0));
    InvoiceRecord rec;
    rec.status = "sealed";
    rec.leaf_hash = leaves->front().leaf_hash.Hex();
    rec.height = static_cast<int64_t>(*height);
    rec.leaf_index = static_cast<int64_t>(*leaf);
    ex.Json(200, authority_->WithLifecycle([&](const invoice::Lifecycle& lc) {
      const invoice::InvoiceState* st = lc.FindInvoice(ex.Param(0));
      rec.invoice = st->invoice;
      rec.reversals = st->reversals;
      return InvoiceJson(rec, invoice::QrPayloadUrl(config_.public_url, rec.invoice.invoice_no, rec.leaf_hash,
                                                    rec.invoice.TotalFen()),
                         st, /*with_employee=*/true);
    }));
  });

  // The public check behind every invoice's QR code: authentic or not, for anyone, with
  // nothing private (no buyer tax id, no lines, no claimant). Words from the catalog
  // (check.*, state.*); the proof's figures only under "technical details".
  r.Add("GET", "/r/([0-9]{20})", [this](Exchange& ex) {
    PublicCheck c = CheckPublic(ex.Param(0), ex.Query("h").value_or(""), ex.Query("a"));
    PageData d = site_.Page(ex, "check.title");
    if (!c.genuine) {
      const std::string key = "check.reason." + c.reason;
      d.set("reason_code", c.reason);
      d.set("reason", site_.Text(ex, site_.templates().catalog().Has(key) ? key : "check.reason.other",
                                 {{"invoice_no", ex.Param(0)}}));
      return site_.SendPage(ex, 404, "check", d);
    }
    const invoice::Invoice& inv = c.state.invoice;
    d.set("genuine", true);
    d.set("genuine_text", site_.Text(ex, "check.genuine_text", {{"authority", site_.identity().name}}));
    d.set("invoice_no", inv.invoice_no);
    d.set("type", inv.color == invoice::Color::kBlue
                      ? site_.Text(ex, "state.color.blue")
                      : site_.Text(ex, "check.type_red",
                                   {{"type", site_.Text(ex, "state.color.red")}, {"original_no", inv.original_no}}));
    d.set("seller_name", inv.seller.name);
    d.set("seller_tax_id", inv.seller.tax_id);
    d.set("issue_date", invoice::ChinaDate(inv.issued_at_ms));
    d.set("total", invoice::FormatYuan(inv.TotalFen()));
    d.set("total_in_words", invoice::AmountInWords(inv.TotalFen()).value_or(""));
    if (inv.color == invoice::Color::kBlue && c.state.remaining_fen != inv.TotalFen())
      d.set("reversed_text", site_.Text(ex, "check.reversed_text",
                                        {{"reversed", invoice::FormatYuan(inv.TotalFen() - c.state.remaining_fen)},
                                         {"remaining", invoice::FormatYuan(c.state.remaining_fen)}}));
    d.set("reimbursement",
          site_.Text(ex, "state.reimbursement." + std::string(invoice::ReimbursementName(c.state.reimbursement))));
    d.set("block", site_.Text(ex, "step.block", {{"height", std::to_string(c.state.issued.height)}}));
    d.set("leaf_index", std::to_string(c.state.issued.leaf_index));
    d.set("leaf_hash", c.state.issued.leaf_hash);
    d.set("proof_text", site_.Text(ex, "check.proof_text",
                                   {{"proof_len", std::to_string(c.proof_len)}, {"tree_size", std::to_string(c.tree_size)}}));
    if (auto f = config_.finality ? config_.finality() : std::nullopt) {
      std::string names;
      for (const auto& n : f->cosigned_by) names += (names.empty() ? "" : "、") + n;
      const bool final = c.state.issued.leaf_index < f->cosigned_size;
      d.set("finality", true);
      d.set("final", final);
      d.set("finality_text", site_.Text(ex, final ? "check.final_text" : "check.not_final_text",
                                        {{"count", std::to_string(f->cosigned_by.size())},
                                         {"k", std::to_string(f->quorum)},
                                         {"n", std::to_string(f->witnesses)},
                                         {"names", names}}));
    }
    site_.SendPage(ex, 200, "check", d);
  });

  // A reimbursement desk's offline proof of one invoice (app/README.md, "Finality"): the
  // entry if the reader may see it, its inclusion proof in the tree of the newest cosigned
  // checkpoint, and that checkpoint. 409 not_final until a cosigned checkpoint covers it.
  r.Add("GET", "/v1/proofs/bundle/([0-9]{20})", [this](Exchange& ex) {
    const std::string no = ex.Param(0), h = ex.Query("h").value_or("");
    auto leaf = authority_->LeafOfInvoice(no);
    if (!leaf) throw ApiError(404, "unknown_invoice", "no invoice " + no + " is on the chain", "invoice_no");
    auto leaves = store_->Leaves(*leaf, *leaf + 1);
    OrThrow(leaves);
    if (leaves->empty()) throw std::runtime_error("the chain lost invoice " + no);
    const ledger::LeafRecord& rec = leaves->front();
    if (h.size() != 16 || !ConstantTimeEquals(h, rec.leaf_hash.Hex().substr(0, 16)))
      throw ApiError(422, "not_genuine", "h is not the invoice's: the 16 hex digits after h= in its QR code", "h");
    RevealFn reveal = EntryRevealer(ex);
    const std::string note = config_.checkpoint();
    auto parsed = ledger::tlog::ParseNote(note);
    auto checkpoint = parsed.ok() ? ledger::tlog::ParseCheckpoint(parsed->text) : ledger::Result<ledger::tlog::Checkpoint>(parsed.status());
    OrThrow(checkpoint);
    const uint64_t size = checkpoint->size;
    if (*leaf >= size)
      throw ApiError(409, "not_final", "no cosigned checkpoint covers invoice " + no + " yet; try again shortly", "invoice_no");
    auto proof = store_->InclusionProof(*leaf, size);
    OrThrow(proof);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("format", "einvoice-proof-bundle/1");
    out->set("invoice_no", no);
    out->set("leaf_index", *leaf);
    out->set("leaf_hash", rec.leaf_hash.Hex());
    if (rec.entry && (!reveal || reveal(rec))) out->set("entry", ledger::ToBase64(*rec.entry));
    else out->set("entry", Poco::Dynamic::Var());
    out->set("tree_size", size);
    Array::Ptr path = new Array;
    for (const ledger::Hash& x : *proof) path->add(x.Hex());
    out->set("inclusion_proof", path);
    out->set("checkpoint", note);
    ex.Json(200, out);
  });

  // The same check as JSON, for company nodes and apps: `a` is optional here.
  r.Add("GET", "/v1/check/([0-9]{20})", [this](Exchange& ex) {
    PublicCheck c = CheckPublic(ex.Param(0), ex.Query("h").value_or(""), ex.Query("a"), /*amount_required=*/false);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("invoice_no", ex.Param(0));
    out->set("genuine", c.genuine);
    if (!c.genuine) {
      out->set("reason", c.reason);
      out->set("message", c.message);
      return ex.Json(200, out);
    }
    const invoice::Invoice& inv = c.state.invoice;
    out->set("color", std::string(invoice::ColorName(inv.color)));
    if (!inv.original_no.empty()) out->set("original_no", inv.original_no);
    Object::Ptr seller = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    seller->set("name", inv.seller.name);
    seller->set("tax_id", inv.seller.tax_id);
    out->set("seller", seller);
    out->set("issued_at", invoice::FormatUtcMs(inv.issued_at_ms));
    out->set("total_fen", inv.TotalFen());
    out->set("remaining_fen", c.state.remaining_fen);
    out->set("buyer_is_company", !inv.buyer.tax_id.empty());
    out->set("reimbursement", std::string(invoice::ReimbursementName(c.state.reimbursement)));
    if (auto f = config_.finality ? config_.finality() : std::nullopt) {
      Object::Ptr fin = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      fin->set("final", c.state.issued.leaf_index < f->cosigned_size);
      fin->set("quorum", f->quorum);
      fin->set("witnesses", f->witnesses);
      fin->set("cosigned_tree_size", f->cosigned_size);
      Array::Ptr by = new Array;
      for (const auto& n : f->cosigned_by) by->add(n);
      fin->set("cosigned_by", by);
      out->set("finality", fin);
    }
    if (c.state.reimbursement != invoice::Reimbursement::kNone) out->set("claim_height", c.state.claimed.height);
    Object::Ptr l = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    l->set("height", c.state.issued.height);
    l->set("leaf_index", c.state.issued.leaf_index);
    l->set("leaf_hash", c.state.issued.leaf_hash);
    l->set("tree_size", c.tree_size);
    out->set("ledger", l);
    ex.Json(200, out);
  });

  r.Add("POST", "/v1/events", [this](Exchange& ex) {
    std::string body = ex.Body();
    std::string node_id = callers_.Require(ex, body);
    std::vector<EntryOutcome> outcomes = authority_->Submit(EventEntriesFromJson(ParseJsonObject(body), node_id), site_.Now());
    Object::Ptr out = new Object;
    Array::Ptr results = new Array;
    for (const auto& o : outcomes) results->add(OutcomeJson(o));
    out->set("results", results);
    ex.Json(200, out);
  });
}

}  // namespace app
