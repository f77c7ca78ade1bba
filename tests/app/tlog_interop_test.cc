// Our checkpoints and tiles read by the reference implementation: a Go program built against
// Debian's golang.org/x/mod (tests/interop/tlog_interop.go) verifies the authority's
// checkpoint signature, rebuilds the root from our tiles, and checks an inclusion and a
// consistency proof it computes from them; and our code verifies a note Go signed.
#include <gtest/gtest.h>

#include "ledger/tlog.h"
#include "two_nodes.h"

namespace app {
namespace e2e {
namespace {

class TlogInterop : public TwoNodes {
 protected:
  ledger::tlog::Checkpoint Checkpoint() {
    auto r = Http(authority_->port(), "GET", "/checkpoint");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    auto note = ledger::tlog::ParseNote(r.body);
    EXPECT_TRUE(note.ok()) << r.body;
    auto c = ledger::tlog::ParseCheckpoint(note->text);
    EXPECT_TRUE(c.ok()) << note->text;
    return *c;
  }
};

#ifdef EINVOICE_TLOG_INTEROP
TEST_F(TlogInterop, GoVerifiesOurCheckpointAndProofsFromOurTiles) {
  PayMany("T-", 0, 40);
  ledger::tlog::Checkpoint old = Checkpoint();
  PayMany("T-", 40, 260);  // past 256 leaves: full tiles and partial ones, on two levels
  ledger::tlog::Checkpoint now = Checkpoint();
  ASSERT_GT(now.size, 256u);
  EXPECT_EQ(now.origin, authority_->config().chain_origin);
  auto inv = Parse(Api("GET", "/v1/invoices/" + BlueOf("T-123")).body)->getObject("ledger");
  const std::string vkey = ledger::tlog::FormatVerifierKey(now.origin, authority_->key().public_key());
  auto go = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " verify http://127.0.0.1:" +
                                std::to_string(authority_->port()) + " '" + vkey + "' " + std::to_string(old.size) + " " +
                                ledger::ToBase64(old.root.View()) + " " +
                                std::to_string(inv->getValue<int64_t>("leaf_index")) + " " +
                                inv->getValue<std::string>("leaf_hash"));
  ASSERT_EQ(go.exit_code, 0) << go.output;
  EXPECT_NE(go.output.find("ok checkpoint " + now.origin + " " + std::to_string(now.size)), std::string::npos) << go.output;
  EXPECT_NE(go.output.find("ok tiles give the root"), std::string::npos) << go.output;
  EXPECT_NE(go.output.find("ok inclusion of leaf"), std::string::npos) << go.output;
  EXPECT_NE(go.output.find("ok consistency " + std::to_string(old.size) + " -> "), std::string::npos) << go.output;
  std::printf("%s", go.output.c_str());

  // Another key (Go's own) does not verify our checkpoint.
  auto other = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " sign " + now.origin + " x");
  std::string other_vkey = other.output.substr(0, other.output.find('\n'));
  auto refused = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " verify http://127.0.0.1:" +
                                     std::to_string(authority_->port()) + " '" + other_vkey + "' " + std::to_string(old.size) +
                                     " " + ledger::ToBase64(old.root.View()) + " 0 " + inv->getValue<std::string>("leaf_hash"));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
}

// The witnesses' cosignatures (c2sp.org/tlog-cosignature) checked by Go: Debian's note 0.7
// has no verifier of type 0x04, so the program brings a small one (tests/interop).
TEST_F(TlogInterop, GoVerifiesTheWitnessCosignatures) {
  const std::string witness = WitnessKeyOf(*merchant_);
  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{witness, merchant_->BaseUrl()}};
    a.witness_quorum = 1;
  });
  PayMany("C-", 0, 3);
  const uint64_t size = authority_->store().Head()->header.tree_size;
  const std::string vkey = ledger::tlog::FormatVerifierKey(authority_->config().chain_origin, authority_->key().public_key());
  const std::string base = "http://127.0.0.1:" + std::to_string(authority_->port());
  for (int k = 0; k < 200 && Checkpoint().size < size; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(Checkpoint().size, size);  // (the chain may grow meanwhile)
  auto go = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " cosigned " + base + " '" + vkey + "' '" + witness + "'");
  ASSERT_EQ(go.exit_code, 0) << go.output;
  EXPECT_NE(go.output.find("ok cosigned by merchant.example at "), std::string::npos) << go.output;
  std::printf("%s", go.output.c_str());
  // A witness whose cosignature is not there (Go's own key under another name) fails.
  auto other = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " sign court.example/witness x");
  auto parsed = ledger::tlog::ParseVerifierKey(other.output.substr(0, other.output.find('\n')));
  ASSERT_TRUE(parsed.ok());
  const ledger::PublicKeyBytes go_key = parsed->public_key;
  const std::string absent = ledger::tlog::FormatVerifierKey("court.example/witness", go_key, ledger::tlog::kCosignatureV1);
  auto refused = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " cosigned " + base + " '" + vkey + "' '" + witness +
                                     "' '" + absent + "'");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("no cosignature of court.example/witness"), std::string::npos) << refused.output;
}

TEST_F(TlogInterop, WeVerifyANoteGoSigned) {
  auto go = apptest::RunCommand(std::string(EINVOICE_TLOG_INTEROP) + " sign tax.example/go-test 'signed by Go'");
  ASSERT_EQ(go.exit_code, 0) << go.output;
  const std::string vkey = go.output.substr(0, go.output.find('\n'));
  const std::string note = go.output.substr(go.output.find('\n') + 1);
  auto key = ledger::tlog::ParseVerifierKey(vkey);
  ASSERT_TRUE(key.ok()) << vkey;
  auto parsed = ledger::tlog::ParseNote(note);
  ASSERT_TRUE(parsed.ok()) << note;
  EXPECT_EQ(parsed->text, "signed by Go\n");
  auto verified = ledger::tlog::VerifiedBy(*parsed, *key);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(*verified);
  std::string forged = note;
  forged.replace(0, 6, "SIGNED");
  EXPECT_FALSE(ledger::tlog::VerifiedBy(*ledger::tlog::ParseNote(forged), *key).ok());
}
#endif

TEST_F(TlogInterop, TilesAreImmutableAndOnlyWhereTheTreeReaches) {
  PayMany("T-", 0, 3);
  ledger::tlog::Checkpoint c = Checkpoint();
  ASSERT_LT(c.size, 256u);
  // The partial tile of the checkpoint's size, from the authority and from a taxpayer's replica.
  const std::string partial = "/tile/0/000.p/" + std::to_string(c.size);
  auto t = Http(authority_->port(), "GET", partial);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.content_type, "application/octet-stream");
  EXPECT_EQ(t.body.size(), 32 * c.size);
  WaitLevel(*merchant_);
  EXPECT_EQ(Http(merchant_->port(), "GET", partial).body, t.body);
  // The tiles' last hash is the newest leaf; the root rebuilt from them is the checkpoint's.
  std::vector<ledger::Hash> leaves(c.size);
  for (size_t i = 0; i < c.size; ++i) std::copy(t.body.begin() + 32 * i, t.body.begin() + 32 * (i + 1), leaves[i].bytes.begin());
  EXPECT_EQ(ledger::RootOf(leaves), c.root);
  EXPECT_EQ(Http(authority_->port(), "GET", "/tile/0/000").status, 404) << "no full tile yet";
  EXPECT_EQ(Http(authority_->port(), "GET", "/tile/0/000.p/" + std::to_string(c.size + 1)).status, 404);
  EXPECT_EQ(Http(authority_->port(), "GET", "/tile/1/000.p/1").status, 404);
  for (const char* bad : {"/tile/0/0", "/tile/0/000.p/0", "/tile/0/x000/000", "/tile/64/000"})
    EXPECT_EQ(Http(authority_->port(), "GET", bad).status, 400) << bad;
  EXPECT_EQ(Http(merchant_->port(), "GET", "/checkpoint").status, 404) << "taxpayer nodes sign no checkpoint";
}

}  // namespace
}  // namespace e2e
}  // namespace app
