// The authority over real HTTP: registration with bearer tokens, signed event submission,
// lifecycle refusals with typed reasons, idempotent retries, and state rebuilt on restart.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "app/node/node.h"
#include "invoice/event_codec.h"
#include "invoice/order.h"
#include "invoice/ubl.h"
#include "ledger/entry.h"
#include "ledger/sqlite_db.h"
#include "tax/filing.h"
#include "ledger/verifier.h"
#include "test_util.h"

namespace app {
namespace {

using Poco::JSON::Object;

const std::string kMerchant = "91440300MA5DQ3QP4X";
const std::string kCompany = "91110108MA01G7GK9M";

Object::Ptr Parse(const std::string& s) { return Poco::JSON::Parser().parse(s).extract<Object::Ptr>(); }

class AuthorityHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.role = Role::kAuthority;
    cfg_.listen_port = 0;
    cfg_.data_dir = dir_.path();
    cfg_.db_path = dir_.File("node.db");
    cfg_.key_file = dir_.File("authority.pem");
    Start();
    admin_ = node_->tokens().Create(TokenRole::kAdmin, "", "ops", 0);
    merchant_key_ = *ledger::PrivateKey::Generate();
    company_key_ = *ledger::PrivateKey::Generate();
  }
  void Start() {
    node_ = std::make_unique<Node>(cfg_, [this] { return now_ += 1000; });
    node_->Start();
  }
  void Restart() {
    node_->Stop();
    node_.reset();
    Start();
  }
  apptest::HttpResult Post(const std::string& uri, const std::string& body, const std::string& token) {
    return apptest::Http(node_->port(), "POST", uri, body, {{"Authorization", "Bearer " + token}});
  }
  apptest::HttpResult Register(const std::string& tax_id, const ledger::PrivateKey& key) {
    return Post("/v1/taxpayers",
                "{\"tax_id\":\"" + tax_id + "\",\"name\":\"T " + tax_id + "\",\"node_public_key\":\"" +
                    ledger::ToHex(key.public_key()) + "\"}",
                admin_);
  }
  // Submits entries signed by `key` as `submitter`, with the node signature of `signer`.
  Object::Ptr Submit(const std::string& submitter, const ledger::PrivateKey& signer, const std::vector<ledger::Bytes>& entries,
                     int expect_status = 200) {
    std::string body = "{\"entries\":[";
    for (size_t i = 0; i < entries.size(); ++i) body += (i ? ",\"" : "\"") + ledger::ToBase64(entries[i]) + "\"";
    body += "]}";
    auto r = apptest::Http(node_->port(), "POST", "/v1/events", body,
                           apptest::NodeSigned(submitter, signer, "POST", "/v1/events", body, now_));
    EXPECT_EQ(r.status, expect_status) << r.body;
    return Parse(r.body);
  }
  ledger::Bytes EventEntry(const invoice::Event& e, const std::string& submitter, const ledger::PrivateKey& key) {
    std::string p = invoice::EncodeEvent(e);
    return ledger::Entry::Make(std::string(invoice::EventKind(e)), submitter, ledger::Bytes(p.begin(), p.end()), key)->Encode();
  }
  invoice::Invoice Blue(uint64_t seq, const std::string& payment) {
    invoice::Order o;
    o.order_id = "O-" + payment;
    invoice::Line l;
    l.name = "Latte";
    l.quantity = *invoice::Decimal::Parse("1");
    l.unit_price_fen = {3200, 0};
    l.gross_fen = 3200;
    o.items = {l};
    return invoice::MakeBlue(o, {"Shenzhen Coffee", kMerchant, ""}, {"Beijing Tech", kCompany, ""},
                             invoice::InvoiceNumber{{26, 44, 1}, seq}.ToString(), 1795483800000, payment);
  }

  apptest::TempDir dir_;
  NodeConfig cfg_;
  uint64_t now_ = 1795483800000;
  std::unique_ptr<Node> node_;
  std::string admin_;
  ledger::PrivateKey merchant_key_ = *ledger::PrivateKey::Generate();
  ledger::PrivateKey company_key_ = *ledger::PrivateKey::Generate();
};

void ExpectError(const apptest::HttpResult& r, int status, const std::string& code, const std::string& field = "") {
  EXPECT_EQ(r.status, status) << r.body;
  auto err = Parse(r.body)->getObject("error");
  ASSERT_TRUE(err) << r.body;
  EXPECT_EQ(err->getValue<std::string>("code"), code) << r.body;
  if (!field.empty()) {
    EXPECT_EQ(err->optValue<std::string>("field", ""), field) << r.body;
  }
}

TEST_F(AuthorityHttp, RegistrationNeedsAnAdminTokenAndAValidTaxId) {
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/taxpayers", "{}", {}), 401, "unauthenticated");
  ExpectError(Post("/v1/taxpayers", "{}", "eit_" + std::string(64, '0')), 401, "unauthenticated");
  std::string auditor = node_->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  ExpectError(Post("/v1/taxpayers", "{}", auditor), 403, "forbidden");
  ExpectError(Post("/v1/taxpayers", "{not json", admin_), 400, "malformed_json");
  ExpectError(Post("/v1/taxpayers", "[1]", admin_), 400, "malformed_json");
  ExpectError(Post("/v1/taxpayers", "{\"tax_id\":\"91440300MA5DQ3QP4X\"}", admin_), 400, "missing_field", "name");
  ExpectError(Post("/v1/taxpayers", "{\"tax_id\":7,\"name\":\"x\",\"node_public_key\":\"ab\"}", admin_), 400,
              "invalid_field", "tax_id");
  ExpectError(Post("/v1/taxpayers",
                   "{\"tax_id\":\"91440300MA5DQ3QP4Y\",\"name\":\"x\",\"node_public_key\":\"" + std::string(64, 'a') + "\"}",
                   admin_),
              422, "invalid_tax_id", "tax_id");
  ExpectError(Post("/v1/taxpayers", "{\"tax_id\":\"91440300MA5DQ3QP4X\",\"name\":\"x\",\"node_public_key\":\"zz\"}", admin_),
              422, "invalid_key", "node_public_key");
  ExpectError(Post("/v1/taxpayers", std::string(2 << 20, ' '), admin_), 413, "body_too_large");
  auto ok = Register(kMerchant, merchant_key_);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Parse(ok.body)->getObject("ledger")->getValue<uint64_t>("height"), 1u);
  ExpectError(Register(kMerchant, merchant_key_), 409, "already_registered", "tax_id");
  auto got = apptest::Http(node_->port(), "GET", "/v1/taxpayers/" + kMerchant, "", {{"Authorization", "Bearer " + auditor}});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(Parse(got.body)->getValue<std::string>("node_key"), ledger::ToHex(merchant_key_.public_key()));
  ExpectError(apptest::Http(node_->port(), "GET", "/v1/taxpayers/" + kCompany, "", {{"Authorization", "Bearer " + auditor}}), 404,
              "not_found");
}

TEST_F(AuthorityHttp, SignedEventsAreSealedOrRefusedWithTheirReason) {
  ASSERT_EQ(Register(kMerchant, merchant_key_).status, 201);
  ASSERT_EQ(Register(kCompany, company_key_).status, 201);
  invoice::ApplyEvent apply{{"apply-1", now_}, kMerchant, {26, 44, 1}, 100};
  auto r = Submit(kMerchant, merchant_key_, {EventEntry(apply, kMerchant, merchant_key_)});
  auto first = r->getArray("results")->getObject(0);
  ASSERT_EQ(first->getValue<std::string>("status"), "sealed") << r->getArray("results")->getObject(0)->optValue<std::string>("message", "");
  EXPECT_EQ(first->getObject("granted")->getValue<uint64_t>("first"), 1u);
  EXPECT_EQ(first->getObject("granted")->getValue<uint64_t>("count"), 100u);

  // A batch: one good invoice, one outside the range, one signed with a stranger's key.
  auto stranger = *ledger::PrivateKey::Generate();
  // (Kept: an SM2 signature differs each time, so only the same bytes are the same entry.)
  const ledger::Bytes pay1 = EventEntry(invoice::IssueEvent{Blue(1, "pay-1")}, kMerchant, merchant_key_);
  r = Submit(kMerchant, merchant_key_,
             {pay1,
              EventEntry(invoice::IssueEvent{Blue(101, "pay-2")}, kMerchant, merchant_key_),
              EventEntry(invoice::IssueEvent{Blue(2, "pay-3")}, kMerchant, stranger)});
  auto results = r->getArray("results");
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("status"), "sealed");
  EXPECT_EQ(results->getObject(1)->getValue<std::string>("code"), "outside_granted_range");
  EXPECT_EQ(results->getObject(1)->getValue<int>("http_status"), 409);
  EXPECT_EQ(results->getObject(2)->getValue<std::string>("code"), "not_authorised");
  uint64_t sealed_height = results->getObject(0)->getValue<uint64_t>("height");

  // A retry of the same bytes is acknowledged at the same place, not sealed twice.
  r = Submit(kMerchant, merchant_key_, {pay1});
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("status"), "sealed");
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<uint64_t>("height"), sealed_height);

  // The company claims; a second claim is refused.
  invoice::ReimburseEvent claim{{"claim-1", now_}, invoice::ReimburseAction::kClaim,
                                invoice::InvoiceNumber{{26, 44, 1}, 1}.ToString(), kCompany, "李四",
                                ledger::LeafHash(pay1).Hex()};
  r = Submit(kCompany, company_key_, {EventEntry(claim, kCompany, company_key_)});
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("status"), "sealed");
  claim.meta.event_id = "claim-2";
  r = Submit(kCompany, company_key_, {EventEntry(claim, kCompany, company_key_)});
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("code"), "already_locked");

  // Node signatures: wrong key, unknown node, entries of another submitter.
  std::string body = "{\"entries\":[\"" + ledger::ToBase64(EventEntry(apply, kMerchant, merchant_key_)) + "\"]}";
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/events", body,
                   apptest::NodeSigned(kMerchant, stranger, "POST", "/v1/events", body, now_)),
              401, "unauthenticated");
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/events", body, {{"X-Node-Id", "91350100M000100Y43"},
                                                              {"X-Node-Signature", std::string(128, '0')}}),
              401, "unauthenticated");
  Submit(kCompany, company_key_, {EventEntry(apply, kMerchant, merchant_key_)}, 403);
  Submit(kMerchant, merchant_key_, {}, 400);

  // Restart: the rules still hold (state replayed from the chain) and the chain verifies.
  Restart();
  r = Submit(kMerchant, merchant_key_, {EventEntry(invoice::IssueEvent{Blue(1, "pay-9")}, kMerchant, merchant_key_)});
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("code"), "number_used");
  claim.meta.event_id = "claim-3";
  r = Submit(kCompany, company_key_, {EventEntry(claim, kCompany, company_key_)});
  EXPECT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("code"), "already_locked");
  ledger::VerifyOptions strict;
  strict.entry_signatures = true;
  auto report = ledger::VerifyChain(cfg_.db_path, strict);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->bad_item << ": " << report->problem;
  EXPECT_EQ(report->entries, 5u);  // 2 registrations, apply, 1 invoice, 1 claim
}

// The lifecycle lives in the node's database: a restart replays nothing, a block the saved
// state missed (a crash between sealing and saving) is replayed alone, and a state that is
// not this chain's is rebuilt from the chain. The rules hold after each.
TEST_F(AuthorityHttp, TheLifecycleIsSavedWithEachBlockAndOnlyMissedBlocksAreReplayed) {
  ASSERT_EQ(Register(kMerchant, merchant_key_).status, 201);
  ASSERT_EQ(Register(kCompany, company_key_).status, 201);
  auto status_of = [](const Object::Ptr& r) {
    auto o = r->getArray("results")->getObject(0);
    return o->getValue<std::string>("status") == "sealed" ? std::string("sealed") : o->getValue<std::string>("code");
  };
  auto submit = [&](const invoice::Event& e, const std::string& who, const ledger::PrivateKey& key) {
    return status_of(Submit(who, key, {EventEntry(e, who, key)}));
  };
  const invoice::ApplyEvent apply{{"apply-1", now_}, kMerchant, {26, 44, 1}, 100};
  // A retry is the same bytes (a node keeps its entry until answered): an SM2 signature made
  // again would differ, and be another application.
  const ledger::Bytes apply_entry = EventEntry(apply, kMerchant, merchant_key_);
  ASSERT_EQ(status_of(Submit(kMerchant, merchant_key_, {apply_entry})), "sealed");
  std::vector<invoice::Invoice> blues = {Blue(1, "pay-1"), Blue(2, "pay-2"), Blue(3, "pay-3")};
  std::vector<std::string> hashes;
  for (const auto& inv : blues) {
    const ledger::Bytes issue = EventEntry(invoice::IssueEvent{inv}, kMerchant, merchant_key_);
    ASSERT_EQ(status_of(Submit(kMerchant, merchant_key_, {issue})), "sealed");
    hashes.push_back(ledger::LeafHash(issue).Hex());
  }
  invoice::ReimburseEvent claim{{"claim-1", now_}, invoice::ReimburseAction::kClaim, blues[0].invoice_no, kCompany, "李四",
                                hashes[0]};
  ASSERT_EQ(submit(claim, kCompany, company_key_), "sealed");
  invoice::ConfirmEvent request{{"req-1", now_}, invoice::ConfirmAction::kRequest, "rq-1", blues[0].invoice_no, 1000, "02"};
  ASSERT_EQ(submit(request, kMerchant, merchant_key_), "sealed");
  invoice::ConfirmEvent accept{{"acc-1", now_}, invoice::ConfirmAction::kAccept, "rq-1", "", 0, ""};
  ASSERT_EQ(submit(accept, kCompany, company_key_), "sealed");
  // The return from the saved invoices equals the one computed from the invoices themselves.
  const std::string period = invoice::ChinaDate(blues[0].issued_at_ms).substr(0, 7);
  std::vector<tax::Covered> covered;
  for (size_t i = 0; i < blues.size(); ++i) covered.push_back({&blues[i], hashes[i]});
  invoice::FilingFigures figures = tax::ComputeReturn(covered);
  EXPECT_EQ(node_->authority()->WithLifecycle(
                [&](const invoice::Lifecycle& lc) { return tax::ReturnFromLifecycle(lc, kMerchant, period); }),
            figures);
  invoice::FileEvent filing{{"file-1", now_}, "f-1", kMerchant, period, "", figures};
  ASSERT_EQ(submit(filing, kMerchant, merchant_key_), "sealed");

  auto rules_hold = [&] {
    EXPECT_EQ(submit(invoice::IssueEvent{Blue(2, "pay-9")}, kMerchant, merchant_key_), "number_used");
    EXPECT_EQ(submit(invoice::IssueEvent{Blue(50, "pay-3")}, kMerchant, merchant_key_), "payment_already_invoiced");
    claim.meta.event_id = "claim-" + std::to_string(now_);
    EXPECT_EQ(submit(claim, kCompany, company_key_), "already_locked");
    accept.meta.event_id = "acc-" + std::to_string(now_);
    EXPECT_EQ(submit(accept, kCompany, company_key_), "request_not_pending");
    filing.meta.event_id = "file-" + std::to_string(now_);
    filing.filing_id = "f-" + std::to_string(now_);
    EXPECT_EQ(submit(filing, kMerchant, merchant_key_), "already_filed");
    auto retried = Submit(kMerchant, merchant_key_, {apply_entry});
    EXPECT_EQ(retried->getArray("results")->getObject(0)->getObject("granted")->getValue<uint64_t>("first"), 1u)
        << "a retried apply learns its range again";
    EXPECT_EQ(submit(invoice::ApplyEvent{{"apply-" + std::to_string(now_), now_}, kMerchant, {26, 44, 1}, 10}, kMerchant,
                     merchant_key_),
              "sealed");
    const invoice::InvoiceState st =
        node_->authority()->WithLifecycle([&](const invoice::Lifecycle& lc) { return *lc.FindInvoice(blues[0].invoice_no); });
    EXPECT_EQ(st.invoice, blues[0]);
    EXPECT_EQ(st.reimbursement, invoice::Reimbursement::kLocked);
    EXPECT_EQ(st.claimant, kCompany);
    ASSERT_EQ(st.history.size(), 4u);  // issued, claimed, confirmation requested, accepted
    EXPECT_EQ(st.history[3].kind, invoice::Step::Kind::kConfirmationAccepted);
    EXPECT_EQ(st.issued.leaf_hash, hashes[0]);
  };
  rules_hold();

  // A restart loads the saved state and replays nothing.
  uint64_t head = node_->store().Head()->header.height;
  Restart();
  EXPECT_EQ(node_->authority()->last_replay().from_height, head);
  EXPECT_EQ(node_->authority()->last_replay().entries, 0u);
  EXPECT_FALSE(node_->authority()->last_replay().rebuilt);
  rules_hold();

  // A block sealed while the saved state missed it: only that block is replayed.
  node_->Stop();
  node_.reset();
  {
    auto key = *ledger::PrivateKey::LoadPemFile(cfg_.key_file);
    auto store = ledger::BlockStore::Open(cfg_.db_path, key.public_key()).value();
    ASSERT_TRUE(store->Seal({EventEntry(invoice::IssueEvent{Blue(7, "pay-7")}, kMerchant, merchant_key_)}, now_, key).ok());
    head = store->Head()->header.height;
  }
  Start();
  EXPECT_EQ(node_->authority()->last_replay().from_height, head - 1);
  EXPECT_EQ(node_->authority()->last_replay().to_height, head);
  EXPECT_EQ(node_->authority()->last_replay().entries, 1u);
  EXPECT_EQ(submit(invoice::IssueEvent{Blue(7, "pay-8")}, kMerchant, merchant_key_), "number_used");
  rules_hold();

  // A saved state of another chain (its block hash differs) is dropped and rebuilt.
  node_->Stop();
  node_.reset();
  {
    ASSERT_EQ(LifecyclePath(cfg_.db_path), dir_.File("node.lifecycle.db"));
    auto db = ledger::sql::Db::Open(LifecyclePath(cfg_.db_path), ledger::sql::Db::Mode::kReadWrite).value();
    ASSERT_TRUE(db->Exec("UPDATE lifecycle_meta SET value = '" + std::string(64, '0') + "' WHERE key = 'block_hash'").ok());
  }
  Start();
  EXPECT_TRUE(node_->authority()->last_replay().rebuilt);
  EXPECT_EQ(node_->authority()->last_replay().from_height, 0u);
  EXPECT_EQ(node_->authority()->last_replay().entries, node_->store().Head()->header.tree_size);
  rules_hold();
}

// Group commit: many concurrent submitters share blocks; everything is sealed once.
TEST_F(AuthorityHttp, ConcurrentSubmissionsShareBlocks) {
  ASSERT_EQ(Register(kMerchant, merchant_key_).status, 201);
  auto r = Submit(kMerchant, merchant_key_,
                  {EventEntry(invoice::ApplyEvent{{"apply-g", now_}, kMerchant, {26, 44, 1}, 10000}, kMerchant, merchant_key_)});
  ASSERT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("status"), "sealed");
  uint64_t height_before = node_->store().Head()->header.height;
  const int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> sealed{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        uint64_t seq = 1 + t * kEach + i;
        auto entry = EventEntry(invoice::IssueEvent{Blue(seq, "pay-g" + std::to_string(seq))}, kMerchant, merchant_key_);
        // Each request carries the entry twice: a duplicate within a batch is acknowledged too.
        std::string body = "{\"entries\":[\"" + ledger::ToBase64(entry) + "\",\"" + ledger::ToBase64(entry) + "\"]}";
        auto res = apptest::Http(node_->port(), "POST", "/v1/events", body,
                                 apptest::NodeSigned(kMerchant, merchant_key_, "POST", "/v1/events", body, now_));
        auto results = Parse(res.body)->getArray("results");
        if (results->getObject(0)->getValue<std::string>("status") == "sealed" &&
            results->getObject(1)->getValue<std::string>("status") == "sealed" &&
            results->getObject(0)->getValue<uint64_t>("leaf_index") == results->getObject(1)->getValue<uint64_t>("leaf_index"))
          ++sealed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sealed.load(), kThreads * kEach);
  uint64_t blocks = node_->store().Head()->header.height - height_before;
  EXPECT_EQ(node_->store().Head()->header.tree_size, 2u + kThreads * kEach);  // registration, apply, invoices
  EXPECT_LT(blocks, static_cast<uint64_t>(kThreads * kEach)) << "no two submissions ever shared a block";
  std::printf("group commit: %d submissions from %d threads sealed in %llu blocks\n", kThreads * kEach, kThreads,
              static_cast<unsigned long long>(blocks));
  EXPECT_TRUE(ledger::VerifyChain(cfg_.db_path, {})->ok);
}

TEST(TokenCli, CreatesTokensBoundToTheirRole) {
  apptest::TempDir dir;
  std::string db = dir.File("node.db");
  { TokenStore::Open(db); }
  std::string cli = EINVOICE_CLI;
  auto ok = apptest::RunCommand(cli + " token create --node-db " + db + " --role merchant --tax-id " + kMerchant);
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  std::string token = ok.output.substr(0, ok.output.find('\n'));
  EXPECT_EQ(token.size(), 68u);
  auto who = TokenStore::Open(db)->Authenticate(token);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->role, TokenRole::kMerchant);
  EXPECT_EQ(who->tax_id, kMerchant);
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + db + " --role merchant").exit_code, 2);
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + db + " --role employee --tax-id " + kCompany).exit_code, 2);
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + db + " --role king").exit_code, 2);
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + db + " --role admin").exit_code, 0);
  // Only the hash is stored: the token's text is nowhere in the database file.
  auto grep = apptest::RunCommand("grep -l " + token + " " + db + "*");
  EXPECT_EQ(grep.output, "");
  EXPECT_EQ(grep.exit_code, 1);  // grep: no file matched
}

// An authority group's members share the tokens a bureau hands out: one is created on one
// member and installed, the same, on the others (read from a file, never from the command line).
TEST(TokenCli, InstallsTheSameTokenOnAnotherNode) {
  apptest::TempDir dir;
  std::string a = dir.File("a.db"), b = dir.File("b.db");
  { TokenStore::Open(a); TokenStore::Open(b); }
  std::string cli = EINVOICE_CLI;
  auto made = apptest::RunCommand(cli + " token create --node-db " + a + " --role admin --name ops > " + dir.File("t"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto put = apptest::RunCommand(cli + " token create --node-db " + b + " --role admin --name ops --value-file " + dir.File("t"));
  ASSERT_EQ(put.exit_code, 0) << put.output;
  EXPECT_EQ(put.output, "") << "the token is not printed again";
  std::ifstream in(dir.File("t"));
  std::string token;
  std::getline(in, token);
  auto who = TokenStore::Open(b)->Authenticate(token);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->role, TokenRole::kAdmin);
  // Twice on one node, a malformed value, a missing file: refused, nothing stored.
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + b + " --role admin --value-file " + dir.File("t")).exit_code, 2);
  std::ofstream(dir.File("bad")) << "eit_short\n";
  auto bad = apptest::RunCommand(cli + " token create --node-db " + b + " --role admin --value-file " + dir.File("bad"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("the token to install is not one this platform made"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.output.find("eit_short"), std::string::npos) << "a secret is never echoed: " << bad.output;
  EXPECT_EQ(apptest::RunCommand(cli + " token create --node-db " + b + " --role admin --value-file " + dir.File("none")).exit_code, 2);
}

}  // namespace
}  // namespace app

namespace app {
namespace {

// Issue 16, finding 2: a captured node request whose settle was refused (not_locked), sent
// again once the invoice is claimed, must not settle it: the nonce is refused as a replay,
// and outside the five-minute window the time is.
TEST_F(AuthorityHttp, ACapturedNodeRequestSentAgainChangesNothing) {
  ASSERT_EQ(Register(kMerchant, merchant_key_).status, 201);
  ASSERT_EQ(Register(kCompany, company_key_).status, 201);
  invoice::ApplyEvent apply{{"apply-1", now_}, kMerchant, {26, 44, 1}, 100};
  Submit(kMerchant, merchant_key_, {EventEntry(apply, kMerchant, merchant_key_)});
  ledger::Bytes issue = EventEntry(invoice::IssueEvent{Blue(1, "pay-1")}, kMerchant, merchant_key_);
  Submit(kMerchant, merchant_key_, {issue});
  const std::string no = invoice::InvoiceNumber{{26, 44, 1}, 1}.ToString();
  invoice::ReimburseEvent settle{{"settle-1", now_}, invoice::ReimburseAction::kSettle, no, kCompany, "", ""};
  std::string body = "{\"entries\":[\"" + ledger::ToBase64(EventEntry(settle, kCompany, company_key_)) + "\"]}";
  auto captured = apptest::NodeSigned(kCompany, company_key_, "POST", "/v1/events", body, now_);
  auto first = apptest::Http(node_->port(), "POST", "/v1/events", body, captured);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Parse(first.body)->getArray("results")->getObject(0)->getValue<std::string>("code"), "not_locked");
  invoice::ReimburseEvent claim{{"claim-1", now_}, invoice::ReimburseAction::kClaim, no, kCompany, "李四",
                                ledger::LeafHash(issue).Hex()};
  auto r = Submit(kCompany, company_key_, {EventEntry(claim, kCompany, company_key_)});
  ASSERT_EQ(r->getArray("results")->getObject(0)->getValue<std::string>("status"), "sealed");
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/events", body, captured), 409, "replayed");
  now_ += 6 * 60 * 1000;
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/events", body, captured), 401, "unauthenticated");
  auto got = apptest::Http(node_->port(), "GET", "/v1/invoices/" + no, "",
                           {{"Authorization", "Bearer " + node_->tokens().Create(TokenRole::kAuditor, "", "a", 0)}});
  EXPECT_EQ(Parse(got.body)->getValue<std::string>("reimbursement"), "locked") << got.body;
  // A tampered copy (another URI, another body) does not verify at all.
  auto moved = captured;
  ExpectError(apptest::Http(node_->port(), "POST", "/v1/alarms", body, moved), 401, "unauthenticated");
}

// Events are sealed only near their own time: a claim or settlement as it happens, an
// invoice within the outage window (72 hours by default), nothing from the future.
TEST_F(AuthorityHttp, EventsDatedFarFromTheirBlockAreRefused) {
  ASSERT_EQ(Register(kMerchant, merchant_key_).status, 201);
  ASSERT_EQ(Register(kCompany, company_key_).status, 201);
  invoice::ApplyEvent apply{{"apply-1", now_}, kMerchant, {26, 44, 1}, 100};
  Submit(kMerchant, merchant_key_, {EventEntry(apply, kMerchant, merchant_key_)});
  const uint64_t hour = 3600 * 1000;
  auto dated = [&](uint64_t seq, uint64_t at) {
    invoice::Invoice inv = Blue(seq, "pay-" + std::to_string(seq));
    inv.issued_at_ms = at;
    return EventEntry(invoice::IssueEvent{inv}, kMerchant, merchant_key_);
  };
  auto r = Submit(kMerchant, merchant_key_,
                  {dated(1, 4102444800000) /* 2100-01-01 */, dated(2, now_ - 5 * 365 * 24 * hour), dated(3, now_ - 80 * hour),
                   dated(4, now_ - 70 * hour), dated(5, now_ + 60 * 1000)});
  auto results = r->getArray("results");
  for (int i : {0, 1, 2}) {
    EXPECT_EQ(results->getObject(i)->optValue<std::string>("code", ""), "time_out_of_range") << i;
    EXPECT_EQ(results->getObject(i)->optValue<std::string>("field", ""), "issued_at") << i;
    EXPECT_EQ(results->getObject(i)->getValue<int>("http_status"), 422);
  }
  EXPECT_EQ(results->getObject(3)->getValue<std::string>("status"), "sealed") << "70 hours old: queued in an outage";
  EXPECT_EQ(results->getObject(4)->getValue<std::string>("status"), "sealed") << "a minute ahead: clock skew";
  invoice::ReimburseEvent claim{{"claim-1", now_ - 10 * 60 * 1000}, invoice::ReimburseAction::kClaim,
                                invoice::InvoiceNumber{{26, 44, 1}, 4}.ToString(), kCompany, "李四",
                                ledger::LeafHash(dated(4, now_ - 70 * hour)).Hex()};
  r = Submit(kCompany, company_key_, {EventEntry(claim, kCompany, company_key_)});
  EXPECT_EQ(r->getArray("results")->getObject(0)->optValue<std::string>("code", ""), "time_out_of_range");
  // The bureau sees each attempt.
  std::string auditor = node_->tokens().Create(TokenRole::kAuditor, "", "bureau", 0);
  auto anomalies = apptest::Http(node_->port(), "GET", "/v1/audit/anomalies?rule=event_time_out_of_range", "",
                                 {{"Authorization", "Bearer " + auditor}});
  EXPECT_EQ(Parse(anomalies.body)->getArray("anomalies")->size(), 4u) << anomalies.body;
}

}  // namespace
}  // namespace app
