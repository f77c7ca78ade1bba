#include "app/chain/lifecycle_store.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <chrono>

#include <limits>
#include <sstream>
#include <stdexcept>

#include "app/base/or_throw.h"
#include "invoice/event_codec.h"
#include "ledger/entry.h"

namespace app {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS lifecycle_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lifecycle_invoice(
  no TEXT PRIMARY KEY, seller TEXT NOT NULL, issued_ms INTEGER NOT NULL, leaf INTEGER NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lifecycle_invoice_seller ON lifecycle_invoice(seller, issued_ms);
CREATE TABLE IF NOT EXISTS lifecycle_payment(seller TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY(seller, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lifecycle_taxpayer(tax_id TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lifecycle_grant(seq INTEGER PRIMARY KEY, seller TEXT NOT NULL, event_id TEXT NOT NULL,
  year INTEGER NOT NULL, region INTEGER NOT NULL, channel INTEGER NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lifecycle_confirmation(id TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lifecycle_filing(id TEXT PRIMARY KEY, state TEXT NOT NULL);
)";

ledger::sql::Stmt Prepare(ledger::sql::Db& db, const std::string& sql) {
  auto s = db.Prepare(sql);
  OrThrow(s, "lifecycle store");
  return std::move(*s);
}

bool Next(ledger::sql::Stmt& s) {
  auto row = s.Step();
  OrThrow(row, "lifecycle store");
  return *row;
}

int64_t AsInt(uint64_t v) { return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max())); }

std::string Text(const Poco::Dynamic::Var& v) { return v.isEmpty() ? std::string() : v.convert<std::string>(); }

Array::Ptr PlaceJson(const invoice::Place& p) {
  Array::Ptr a = new Array;
  a->add(p.height);
  a->add(p.leaf_index);
  a->add(p.leaf_hash);
  a->add(p.time_ms);
  return a;
}

invoice::Place PlaceOf(const Array::Ptr& a) {
  if (!a || a->size() != 4) throw std::runtime_error("lifecycle store: a malformed place");
  return invoice::Place{a->get(0).convert<uint64_t>(), a->get(1).convert<uint64_t>(), Text(a->get(2)),
                        a->get(3).convert<uint64_t>()};
}

std::string Stringify(const Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

Object::Ptr Parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

std::string StateJson(const invoice::InvoiceState& s) {
  Object o;
  o.set("issued", PlaceJson(s.issued));
  if (s.reimbursement != invoice::Reimbursement::kNone) {
    o.set("claimed", PlaceJson(s.claimed));
    o.set("reimbursement", static_cast<int>(s.reimbursement));
    o.set("claimant", s.claimant);
    o.set("employee", s.employee);
  }
  o.set("remaining_fen", s.remaining_fen);
  Array::Ptr history = new Array;
  for (const invoice::Step& step : s.history) {
    Array::Ptr x = new Array;
    x->add(static_cast<int>(step.kind));
    x->add(step.company);
    x->add(step.employee);
    x->add(step.ref);
    x->add(step.amount_fen);
    x->add(PlaceJson(step.place));
    history->add(x);
  }
  o.set("history", history);
  if (!s.reversals.empty()) {
    Array::Ptr r = new Array;
    for (const std::string& no : s.reversals) r->add(no);
    o.set("reversals", r);
  }
  return Stringify(o);
}

template <typename T>
T EventOf(std::string_view kind, const std::string& payload) {
  auto e = invoice::DecodeEvent(kind, payload);
  if (auto* p = std::get_if<invoice::Problem>(&e))
    throw std::runtime_error("lifecycle store: a saved " + std::string(kind) + " event does not decode: " + p->message);
  return std::get<T>(std::get<invoice::Event>(e));
}

}  // namespace

std::string LifecyclePath(const std::string& node_db) {
  const std::string ext = ".db";
  if (node_db.size() > ext.size() && node_db.compare(node_db.size() - ext.size(), ext.size(), ext) == 0)
    return node_db.substr(0, node_db.size() - ext.size()) + ".lifecycle.db";
  return node_db + ".lifecycle.db";
}

LifecycleStore::LifecycleStore(const std::string& path, ledger::BlockStore& chain) : chain_(chain) {
  auto db = ledger::sql::Db::Open(path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  db_ = std::move(db).value();
  // The state is derived from the chain and records the block it reflects: a save lost to a
  // power cut is replayed from the chain at start, so its commits need not wait for fsync.
  OrThrow(db_->Exec("PRAGMA synchronous=NORMAL;"), "lifecycle store");
  OrThrow(db_->Exec(kSchema), "lifecycle store");
}

invoice::InvoiceState LifecycleStore::Decode(const std::string& no, int64_t leaf, const std::string& text) {
  invoice::InvoiceState s;
  Object::Ptr o = Parse(text);
  s.issued = PlaceOf(o->getArray("issued"));
  if (o->has("claimed")) {
    s.claimed = PlaceOf(o->getArray("claimed"));
    s.reimbursement = static_cast<invoice::Reimbursement>(o->getValue<int>("reimbursement"));
    s.claimant = o->getValue<std::string>("claimant");
    s.employee = o->getValue<std::string>("employee");
  }
  s.remaining_fen = o->getValue<int64_t>("remaining_fen");
  Array::Ptr history = o->getArray("history");
  for (size_t i = 0; history && i < history->size(); ++i) {
    Array::Ptr x = history->getArray(i);
    if (!x || x->size() != 6) throw std::runtime_error("lifecycle store: a malformed step of " + no);
    s.history.push_back({static_cast<invoice::Step::Kind>(x->get(0).convert<int>()), Text(x->get(1)), Text(x->get(2)),
                         Text(x->get(3)), x->get(4).convert<int64_t>(), PlaceOf(x->getArray(5))});
  }
  if (Array::Ptr r = o->getArray("reversals"))
    for (size_t i = 0; i < r->size(); ++i) s.reversals.push_back(Text(r->get(i)));
  if (leaf >= 0) {
    auto leaves = chain_.Leaves(static_cast<uint64_t>(leaf), static_cast<uint64_t>(leaf) + 1);
    OrThrow(leaves, "lifecycle store");
    if (leaves->size() != 1 || !leaves->front().entry)
      throw std::runtime_error("lifecycle store: the issue entry of " + no + " is not on the chain");
    auto entry = ledger::Entry::Decode(*leaves->front().entry);
    if (!entry.ok()) throw std::runtime_error("lifecycle store: leaf " + std::to_string(leaf) + " is malformed");
    s.invoice = EventOf<invoice::IssueEvent>(entry->kind, std::string(entry->payload.begin(), entry->payload.end())).invoice;
  }
  return s;
}

std::optional<invoice::InvoiceState> LifecycleStore::Load(const std::string& no) {
  auto s = Prepare(*db_, "SELECT leaf, state FROM lifecycle_invoice WHERE no = ?1");
  s.Bind(1, no);
  if (!Next(s)) return std::nullopt;
  int64_t leaf = s.Int(0);
  std::string state = s.Text(1);
  s.Reset();
  return Decode(no, leaf, state);
}

bool LifecycleStore::HasPayment(const std::string& seller, const std::string& key) {
  auto s = Prepare(*db_, "SELECT 1 FROM lifecycle_payment WHERE seller = ?1 AND key = ?2");
  s.Bind(1, seller).Bind(2, key);
  bool found = Next(s);
  s.Reset();
  return found;
}

void LifecycleStore::ForEach(const invoice::InvoiceFilter& filter,
                             const std::function<void(const std::string& no, const invoice::InvoiceState&)>& f) {
  // One read transaction: the rows and the chain entries they point to are read as of one moment.
  ledger::sql::ReadTransaction read(db_.get());
  auto s = Prepare(*db_, filter.seller.empty()
                             ? "SELECT no, leaf, state FROM lifecycle_invoice WHERE issued_ms >= ?2 AND issued_ms < ?3 "
                               "AND ?1 = '' ORDER BY no"
                             : "SELECT no, leaf, state FROM lifecycle_invoice WHERE seller = ?1 AND issued_ms >= ?2 AND "
                               "issued_ms < ?3 ORDER BY no");
  s.Bind(1, filter.seller).Bind(2, AsInt(filter.from_ms)).Bind(3, AsInt(filter.to_ms));
  while (Next(s)) {
    std::string no = s.Text(0);
    invoice::InvoiceState st = Decode(no, s.Int(1), s.Text(2));
    f(no, st);
  }
}

LifecycleStore::Applied LifecycleStore::ReadApplied() {
  Applied a;
  auto s = Prepare(*db_, "SELECT key, value FROM lifecycle_meta WHERE key IN ('height', 'block_hash')");
  while (Next(s)) {
    if (s.Text(0) == "height") a.height = std::stoull(s.Text(1));
    else a.block_hash = s.Text(1);
  }
  return a;
}

void LifecycleStore::Save(const invoice::LifecycleChanges& c, uint64_t height, const std::string& block_hash) {
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status(), "lifecycle store");
  {
    auto s = Prepare(*db_, "INSERT OR REPLACE INTO lifecycle_invoice(no, seller, issued_ms, leaf, state) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const auto& [no, st] : c.invoices) {
      const invoice::Invoice& inv = st->invoice;
      const bool content = !inv.invoice_no.empty();  // else known by its steps only (leaf -1)
      OrThrow(s.Bind(1, no).Bind(2, inv.seller.tax_id).Bind(3, AsInt(inv.issued_at_ms))
                .Bind(4, content ? AsInt(st->issued.leaf_index) : int64_t{-1}).Bind(5, StateJson(*st)).Run(), "lifecycle store");
    }
  }
  {
    auto s = Prepare(*db_, "INSERT OR IGNORE INTO lifecycle_payment(seller, key) VALUES (?1, ?2)");
    for (const auto& [seller, key] : c.payments) OrThrow(s.Bind(1, seller).Bind(2, key).Run(), "lifecycle store");
  }
  {
    auto s = Prepare(*db_, "INSERT OR REPLACE INTO lifecycle_taxpayer(tax_id, payload) VALUES (?1, ?2)");
    for (const invoice::RegisterEvent* r : c.taxpayers) OrThrow(s.Bind(1, r->tax_id).Bind(2, invoice::EncodeEvent(*r)).Run(), "lifecycle store");
  }
  {
    auto s = Prepare(*db_, "INSERT INTO lifecycle_grant(seller, event_id, year, region, channel, first, count) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const invoice::Grant& g : c.grants)
      OrThrow(s.Bind(1, g.seller).Bind(2, g.event_id).Bind(3, int64_t{g.range.prefix.year}).Bind(4, int64_t{g.range.prefix.region})
                .Bind(5, int64_t{g.range.prefix.channel}).Bind(6, AsInt(g.range.first)).Bind(7, AsInt(g.range.count)).Run(), "lifecycle store");
  }
  {
    auto s = Prepare(*db_, "INSERT OR REPLACE INTO lifecycle_confirmation(id, state) VALUES (?1, ?2)");
    for (const invoice::ConfirmationState* cs : c.confirmations) {
      Object o;
      o.set("request", invoice::EncodeEvent(cs->request));
      o.set("seller", cs->seller);
      o.set("company", cs->company);
      o.set("status", static_cast<int>(cs->status));
      o.set("requested", PlaceJson(cs->requested));
      o.set("answered", PlaceJson(cs->answered));
      o.set("red_invoice_no", cs->red_invoice_no);
      OrThrow(s.Bind(1, cs->request.request_id).Bind(2, Stringify(o)).Run(), "lifecycle store");
    }
  }
  {
    auto s = Prepare(*db_, "INSERT OR REPLACE INTO lifecycle_filing(id, state) VALUES (?1, ?2)");
    for (const invoice::FilingState* fs : c.filings) {
      Object o;
      o.set("event", invoice::EncodeEvent(fs->event));
      o.set("place", PlaceJson(fs->place));
      o.set("amended_by", fs->amended_by);
      OrThrow(s.Bind(1, fs->event.filing_id).Bind(2, Stringify(o)).Run(), "lifecycle store");
    }
  }
  {
    auto s = Prepare(*db_, "INSERT OR REPLACE INTO lifecycle_meta(key, value) VALUES (?1, ?2)");
    OrThrow(s.Bind(1, std::string_view("height")).Bind(2, std::to_string(height)).Run(), "lifecycle store");
    OrThrow(s.Bind(1, std::string_view("block_hash")).Bind(2, block_hash).Run(), "lifecycle store");
  }
  OrThrow(tx.Commit(), "lifecycle store");
}

uint64_t LifecycleStore::Restore(invoice::Lifecycle& lc, bool* rebuilt) {
  lc = invoice::Lifecycle(this);
  Applied applied = ReadApplied();
  auto block = chain_.BlockAt(applied.height);
  auto head = chain_.Head();
  bool ours = applied.height > 0 && block.ok() && head.ok() && applied.height <= head->header.height &&
              block->header.BlockHash().Hex() == applied.block_hash;
  *rebuilt = false;
  if (ours) {
    RestoreInto(lc);
    return applied.height;
  }
  *rebuilt = applied.height > 0 || InvoiceCount() > 0;
  if (*rebuilt)
    Poco::Logger::get("lifecycle").warning("the saved lifecycle (height %Lu) is not this chain's; rebuilding it",
                                           static_cast<uint64_t>(applied.height));
  Clear();
  return 0;
}

uint64_t LifecycleStore::CatchUp(invoice::Lifecycle& lc, uint64_t from_height,
                                 const std::function<void(const ChainEvent&)>& fold, uint64_t* entries,
                                 const std::string& who) {
  uint64_t current = from_height, pending = 0, last_log_ms = 0, folded = 0;
  auto started = std::chrono::steady_clock::now();
  uint64_t reached = ForEachChainEvent(chain_, from_height, [&](const ChainEvent& e) {
    if (e.place.height != current) {
      if (pending >= 4096) {
        SaveAt(lc, current);
        pending = 0;
      }
      current = e.place.height;
    }
    fold(e);
    ++pending;
    ++folded;
    auto ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    if (ms >= last_log_ms + 10'000) {
      last_log_ms = ms;
      Poco::Logger::get("lifecycle").information("%s: bringing the saved lifecycle up to the chain: block %Lu, %Lu entries",
                                                 who, static_cast<uint64_t>(e.place.height), folded);
    }
  });
  if (folded > 0 || reached != from_height) SaveAt(lc, reached);
  *entries += folded;
  return reached;
}

void LifecycleStore::SaveAt(invoice::Lifecycle& lc, uint64_t height) {
  auto block = chain_.BlockAt(height);
  OrThrow(block, "lifecycle store");
  Save(lc.PendingChanges(), height, block->header.BlockHash().Hex());
  lc.MarkSaved();
  lc.Trim();
}

void LifecycleStore::RestoreInto(invoice::Lifecycle& lc) {
  std::vector<invoice::RegisterEvent> taxpayers;
  std::vector<invoice::Grant> grants;
  std::vector<invoice::ConfirmationState> confirmations;
  std::vector<invoice::FilingState> filings;
  ledger::sql::ReadTransaction read(db_.get());
  {
    auto s = Prepare(*db_, "SELECT payload FROM lifecycle_taxpayer ORDER BY tax_id");
    while (Next(s)) taxpayers.push_back(EventOf<invoice::RegisterEvent>("register", s.Text(0)));
  }
  {
    auto s = Prepare(*db_, "SELECT seller, event_id, year, region, channel, first, count FROM lifecycle_grant ORDER BY seq");
    while (Next(s))
      grants.push_back({s.Text(0), s.Text(1),
                        invoice::NumberRange{invoice::NumberPrefix{static_cast<int>(s.Int(2)), static_cast<int>(s.Int(3)),
                                                                   static_cast<int>(s.Int(4))},
                                             static_cast<uint64_t>(s.Int(5)), static_cast<uint64_t>(s.Int(6))}});
  }
  {
    auto s = Prepare(*db_, "SELECT state FROM lifecycle_confirmation ORDER BY id");
    while (Next(s)) {
      Object::Ptr o = Parse(s.Text(0));
      invoice::ConfirmationState c;
      c.request = EventOf<invoice::ConfirmEvent>("confirm", o->getValue<std::string>("request"));
      c.seller = o->getValue<std::string>("seller");
      c.company = o->getValue<std::string>("company");
      c.status = static_cast<invoice::ConfirmationState::Status>(o->getValue<int>("status"));
      c.requested = PlaceOf(o->getArray("requested"));
      c.answered = PlaceOf(o->getArray("answered"));
      c.red_invoice_no = o->getValue<std::string>("red_invoice_no");
      confirmations.push_back(std::move(c));
    }
  }
  {
    auto s = Prepare(*db_, "SELECT state FROM lifecycle_filing ORDER BY id");
    while (Next(s)) {
      Object::Ptr o = Parse(s.Text(0));
      invoice::FilingState f;
      f.event = EventOf<invoice::FileEvent>("file", o->getValue<std::string>("event"));
      f.place = PlaceOf(o->getArray("place"));
      f.amended_by = o->getValue<std::string>("amended_by");
      filings.push_back(std::move(f));
    }
  }
  lc.Restore(std::move(taxpayers), std::move(grants), std::move(confirmations), std::move(filings));
}

void LifecycleStore::Clear() {
  ledger::sql::Transaction tx(db_.get());
  OrThrow(tx.begin_status(), "lifecycle store");
  for (const char* table : {"lifecycle_meta", "lifecycle_invoice", "lifecycle_payment", "lifecycle_taxpayer",
                            "lifecycle_grant", "lifecycle_confirmation", "lifecycle_filing"})
    OrThrow(db_->Exec(std::string("DELETE FROM ") + table), "lifecycle store");
  OrThrow(tx.Commit(), "lifecycle store");
}

uint64_t LifecycleStore::InvoiceCount() {
  auto s = Prepare(*db_, "SELECT count(*) FROM lifecycle_invoice");
  Next(s);
  uint64_t n = static_cast<uint64_t>(s.Int(0));
  s.Reset();
  return n;
}

}  // namespace app
