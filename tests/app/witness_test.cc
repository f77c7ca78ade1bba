// A taxpayer node's witness (c2sp.org/tlog-witness) over real HTTP: it cosigns the
// authority's checkpoints that extend the one it cosigned last, tells a client its size
// (409), refuses another history (422), checkpoints not signed by the authority (403) and
// malformed requests (400), and remembers what it cosigned across a restart.
#include <gtest/gtest.h>

#include "ledger/tlog.h"
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

class WitnessTest : public TwoNodes {
 protected:
  std::string CheckpointNote() { return Http(authority_->port(), "GET", "/checkpoint").body; }
  ledger::tlog::Checkpoint Parsed(const std::string& note) {
    return *ledger::tlog::ParseCheckpoint(ledger::tlog::ParseNote(note)->text);
  }
  // The consistency proof old -> new from the authority, as base64 lines.
  std::string Proof(uint64_t first, uint64_t second) {
    if (first == 0 || first == second) return "";
    auto r = Parse(Http(authority_->port(), "GET", "/v1/proofs/consistency?first=" + std::to_string(first) +
                                                     "&second=" + std::to_string(second)).body);
    std::string lines;
    auto proof = r->getArray("proof");
    for (size_t i = 0; i < proof->size(); ++i) lines += ledger::ToBase64(*ledger::FromHex(proof->getElement<std::string>(i))) + "\n";
    return lines;
  }
  apptest::HttpResult Add(uint64_t old, const std::string& proof, const std::string& note) {
    return Http(merchant_->port(), "POST", "/add-checkpoint", "old " + std::to_string(old) + "\n" + proof + "\n" + note);
  }
  ledger::tlog::VerifierKey WitnessKey() {
    auto vkey = Parse(Http(merchant_->port(), "GET", "/healthz").body)->getValue<std::string>("witness_key");
    return *ledger::tlog::ParseVerifierKey(vkey);
  }
};

TEST_F(WitnessTest, CosignsWhatExtendsWhatItCosignedAndRefusesTheRest) {
  PayMany("W-", 0, 3);
  std::string first = CheckpointNote();
  auto c1 = Parsed(first);
  auto r = Add(0, "", first);
  ASSERT_EQ(r.status, 200) << r.body;
  // The answer is a cosignature line of the witness's key over the checkpoint.
  auto cosigned = ledger::tlog::ParseNote(first + r.body);
  ASSERT_TRUE(cosigned.ok()) << r.body;
  auto time = ledger::tlog::CosignatureTime(*cosigned, WitnessKey());
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(time->value_or(0), Now() / 1000);

  PayMany("W-", 3, 5);
  std::string second = CheckpointNote();
  auto c2 = Parsed(second);
  ASSERT_GT(c2.size, c1.size);
  // A client that does not know the witness's size learns it.
  auto size = Add(0, "", second);
  EXPECT_EQ(size.status, 409);
  EXPECT_EQ(size.content_type, "text/x.tlog.size");
  EXPECT_EQ(size.body, std::to_string(c1.size) + "\n");
  EXPECT_EQ(Add(c1.size, "", second).status, 422) << "no proof";
  auto ok = Add(c1.size, Proof(c1.size, c2.size), second);
  ASSERT_EQ(ok.status, 200) << ok.body;

  // Another history under the authority's key: a root the tree never had.
  ledger::tlog::Checkpoint fork = c2;
  fork.size = c2.size + 1;
  fork.root = ledger::Sha256(ledger::AsBytes("another history"));
  std::string forged = ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(fork), c2.origin, authority_->key());
  EXPECT_EQ(Add(c2.size, Proof(c1.size, c2.size), forged).status, 422);
  fork.size = c2.size;  // same size, another root
  EXPECT_EQ(Add(c2.size, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(fork), c2.origin, authority_->key())).status,
            422);
  // Not the authority's key; malformed.
  auto stranger = ledger::PrivateKey::Generate();
  EXPECT_EQ(Add(c2.size, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(c2), c2.origin, *stranger)).status, 403);
  EXPECT_EQ(Add(c2.size + 5, "", second).status, 400) << "old beyond the checkpoint";
  EXPECT_EQ(Http(merchant_->port(), "POST", "/add-checkpoint", "hello").status, 400);
  EXPECT_EQ(Http(merchant_->port(), "POST", "/add-checkpoint", "old 1\nnot base64\n\n" + second).status, 400);
  EXPECT_EQ(Add(c2.size, "", "not a note").status, 400);

  // What it cosigned survives a restart.
  merchant_->Stop();
  merchant_ = std::make_unique<Node>(m_, [this] { return Now(); });
  merchant_->Start();
  auto after = Add(0, "", second);
  EXPECT_EQ(after.status, 409);
  EXPECT_EQ(after.body, std::to_string(c2.size) + "\n");
  EXPECT_EQ(Add(c2.size, "", second).status, 200) << "the same checkpoint again";
}

// The authority with the merchant's and the company's witnesses, a quorum of 2: after a
// block, GET /checkpoint serves the newest head with both cosignatures.
using Cosigned = ThreeNodes;

TEST_F(Cosigned, TheCheckpointCarriesTheQuorumsCosignatures) {
  RestartAuthority([this](NodeConfig& a) {
    a.witnesses = {{WitnessKeyOf(*merchant_), merchant_->BaseUrl()}, {WitnessKeyOf(*company_), company_->BaseUrl()}};
    a.witness_quorum = 2;
  });
  const NodeConfig& a = authority_->config();
  CreateOrder("ORD-COSIGNED", 5000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-COSIGNED", "PAY-COSIGNED", 5000, NowS())).status, 204);
  merchant_->merchant()->PumpOnce();
  WaitInvoice(BlueOf("ORD-COSIGNED"), "sealed");
  const uint64_t size = authority_->store().Head()->header.tree_size;
  std::optional<ledger::tlog::Note> note;
  for (int k = 0; k < 100; ++k) {
    auto r = Http(authority_->port(), "GET", "/checkpoint");
    if (r.status == 200) {
      note = *ledger::tlog::ParseNote(r.body);
      if (ledger::tlog::ParseCheckpoint(note->text)->size == size && note->signatures.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(ledger::tlog::ParseCheckpoint(note->text)->size, size);
  ASSERT_EQ(note->signatures.size(), 3u) << "the authority's signature and two cosignatures";
  for (Node* w : {merchant_.get(), company_.get()}) {
    auto t = ledger::tlog::CosignatureTime(*note, *ledger::tlog::ParseVerifierKey(WitnessKeyOf(*w)));
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(t->has_value()) << WitnessKeyOf(*w);
  }
  auto log = ledger::tlog::ParseVerifierKey(
      ledger::tlog::FormatVerifierKey(a.chain_origin, authority_->key().public_key()));
  EXPECT_TRUE(*ledger::tlog::VerifiedBy(*note, *log));
  auto metrics = Http(authority_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("einvoice_cosigned_tree_size " + std::to_string(size) + "\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("einvoice_witness_refusals_total{witness=\"merchant.example\"} 0\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace e2e
}  // namespace app
