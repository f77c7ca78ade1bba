// `einvoice proof verify`: a node's inclusion and consistency proofs check offline against
// its signed head and the pinned authority key, and a change of any one bit (of the leaf
// hash, any proof hash, the signed header or the signature) is rejected.
#include <Poco/JSON/Array.h>

#include "app/chain/proof_check.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

std::string Json(const Object::Ptr& o) {
  std::ostringstream ss;
  o->stringify(ss);
  return ss.str();
}

std::string FlipBit(const std::string& hex, size_t bit) {
  ledger::Bytes b = ledger::FromHex(hex).value();
  b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return ledger::ToHex(b);
}

class Proofs : public TwoNodes {};

TEST_F(Proofs, NodeProofsVerifyOfflineAndNoBitCanChange) {
  CreateOrder("ORD-P1", 1200);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-P1", "4200007001", 1200, NowS())).status, 204);
  std::string no = BlueOf("ORD-P1");
  WaitInvoice(no, "sealed");
  WaitLevel(*merchant_);  // the replica holds the invoice's block
  std::string old_head = Http(merchant_->port(), "GET", "/v1/chain/head").body;  // a replica's head is as good
  ASSERT_GT(Parse(old_head)->optValue<uint64_t>("tree_size", 0), 0u) << old_head;
  for (int i = 2; i <= 6; ++i) {
    std::string id = "ORD-P" + std::to_string(i);
    CreateOrder(id, 1000 + i);
    ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, id, "420000700" + std::to_string(i), 1000 + i, NowS())).status, 204);
    WaitInvoice(BlueOf(id), "sealed");
  }
  WaitLevel(*merchant_);
  std::string head = Http(merchant_->port(), "GET", "/v1/chain/head").body;
  std::string leaf = Parse(Api("GET", "/v1/invoices/" + no).body)->getObject("ledger")->getValue<std::string>("leaf_hash");
  std::string inclusion = Http(merchant_->port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + leaf).body;
  auto old_size = Parse(old_head)->getValue<uint64_t>("tree_size"), size = Parse(head)->getValue<uint64_t>("tree_size");
  std::string consistency = Http(merchant_->port(), "GET", "/v1/proofs/consistency?first=" + std::to_string(old_size) +
                                                          "&second=" + std::to_string(size)).body;
  const ledger::PublicKeyBytes key = authority_->key().public_key();

  ProofVerdict ok = VerifyProof(head, inclusion, key);
  ASSERT_TRUE(ok.ok) << ok.message;
  ASSERT_TRUE(VerifyProof(head, consistency, key, old_head).ok) << VerifyProof(head, consistency, key, old_head).message;

  // Every bit of every hash in the proofs, and of the signed header and its signature.
  size_t rejected = 0;
  auto expect_rejected = [&](const std::string& h, const std::string& p, const std::string& old, const std::string& what) {
    ProofVerdict v = VerifyProof(h, p, key, old);
    EXPECT_FALSE(v.ok) << what;
    ++rejected;
  };
  for (const std::string* proof : {&inclusion, &consistency}) {
    const bool incl = proof == &inclusion;
    const std::string old = incl ? "" : old_head;
    auto p = Parse(*proof);
    auto path = p->getArray("proof");
    ASSERT_GT(path->size(), 0u);
    for (size_t k = 0; k < path->size(); ++k)
      for (size_t bit = 0; bit < 256; ++bit) {
        auto q = Parse(*proof);
        q->getArray("proof")->set(k, FlipBit(path->get(k).toString(), bit));
        expect_rejected(head, Json(q), old, "proof[" + std::to_string(k) + "] bit " + std::to_string(bit));
      }
    if (incl)
      for (size_t bit = 0; bit < 256; ++bit) {
        auto q = Parse(*proof);
        q->set("leaf_hash", FlipBit(p->getValue<std::string>("leaf_hash"), bit));
        expect_rejected(head, Json(q), old, "leaf_hash bit " + std::to_string(bit));
      }
    for (const char* field : {"header", "signature"}) {
      std::string value = Parse(head)->getValue<std::string>(field);
      for (size_t bit = 0; bit < value.size() * 4; ++bit) {
        auto h = Parse(head);
        h->set(field, FlipBit(value, bit));
        expect_rejected(Json(h), *proof, old, std::string(field) + " bit " + std::to_string(bit));
      }
    }
    for (const char* number : {"leaf_index", "tree_size", "first", "second"}) {
      if (!p->has(number)) continue;
      auto q = Parse(*proof);
      q->set(number, p->getValue<uint64_t>(number) ^ 1);
      expect_rejected(head, Json(q), old, number);
    }
  }
  std::printf("proof verify: %zu one-bit or one-field changes, every one rejected\n", rejected);

  // The CLI, as a third party runs it.
  std::ofstream(dir_.File("head.json")) << head;
  std::ofstream(dir_.File("proof.json")) << inclusion;
  std::ofstream(dir_.File("old.json")) << old_head;
  std::ofstream(dir_.File("consistency.json")) << consistency;
  std::string cli = std::string(EINVOICE_CLI) + " proof verify --authority-key " + dir_.File("authority.pub.pem") +
                    " --head " + dir_.File("head.json");
  auto r = apptest::RunCommand(cli + " --proof " + dir_.File("proof.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OK: leaf " + leaf), std::string::npos) << r.output;
  r = apptest::RunCommand(cli + " --proof " + dir_.File("consistency.json") + " --old-head " + dir_.File("old.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto q = Parse(inclusion);
  q->set("leaf_hash", FlipBit(leaf, 0));
  std::ofstream(dir_.File("bad.json")) << Json(q);
  r = apptest::RunCommand(cli + " --proof " + dir_.File("bad.json"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAILED"), std::string::npos);
  // Another authority's key: nothing verifies.
  auto other = ledger::PrivateKey::Generate().value();
  EXPECT_FALSE(VerifyProof(head, inclusion, other.public_key()).ok);
}

}  // namespace
}  // namespace e2e
}  // namespace app
