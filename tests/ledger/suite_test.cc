// The sm2-sm3 suite: SM3 and SM2 against the standards' examples, our SM2 signatures checked by
// the openssl command line as ledger/README.md tells a stranger to, and every boundary refusing
// a chain of the other suite, naming both.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "ledger/block_store.h"
#include "ledger/entry.h"
#include "ledger/tlog.h"
#include "tests/ledger/test_chain.h"
#include "tests/scoped_suite.h"

namespace ledger {
namespace {

using testing_suite::ScopedSuite;

std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  char buf[512];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
  int rc = p != nullptr ? pclose(p) : -1;
  return (rc == 0 ? "ok: " : "failed: ") + out;
}

// GB/T 32905-2016 (GM/T 0004-2012) Appendix A: "abc" and "abcd" sixteen times.
TEST(Sm3, TheStandardsExamples) {
  EXPECT_EQ(Sm3(AsBytes("abc")).Hex(), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string m;
  for (int i = 0; i < 16; ++i) m += "abcd";
  EXPECT_EQ(Sm3(AsBytes(m)).Hex(), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(Sm3, IsTheChainsHashOnAnSm2Network) {
  ScopedSuite sm2(Suite::kSm2Sm3);
  const uint8_t entry[] = {0x00, 'e'};  // 0x00 || "e"
  EXPECT_EQ(LeafHash(AsBytes("e")), Sm3(ByteView(entry, 2)));
  Hash l = LeafHash(AsBytes("l")), r = LeafHash(AsBytes("r"));
  Bytes node{0x01};
  node.insert(node.end(), l.bytes.begin(), l.bytes.end());
  node.insert(node.end(), r.bytes.begin(), r.bytes.end());
  EXPECT_EQ(NodeHash(l, r), Sm3(node));
  EXPECT_EQ(EmptyRoot(), Sm3(ByteView()));
  EXPECT_NE(EmptyRoot(), Sha256(ByteView()));
}

// GM/T 0003.5-2012 (GB/T 32918.5) Appendix A: the signature example on the recommended curve,
// ID 1234567812345678, message "message digest". OpenSSL cannot reproduce the signature (its k
// is random) but verifies the standard's.
TEST(Sm2, TheStandardsSignatureExampleVerifies) {
  const Bytes key = *FromHex(
      "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
      "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13");
  Bytes sig = *FromHex(
      "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
      "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa");
  EXPECT_TRUE(VerifySignature(Suite::kSm2Sm3, key, AsBytes("message digest"), sig));
  EXPECT_FALSE(VerifySignature(Suite::kSm2Sm3, key, AsBytes("message digesT"), sig));
  EXPECT_FALSE(VerifySignature(Suite::kEd25519Sha256, key, AsBytes("message digest"), sig));
  sig[63] ^= 1;
  EXPECT_FALSE(VerifySignature(Suite::kSm2Sm3, key, AsBytes("message digest"), sig));
}

TEST(Sm2, KeysSignVerifyAndRoundTripThroughPem) {
  auto key = PrivateKey::Generate(Suite::kSm2Sm3);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->suite(), Suite::kSm2Sm3);
  ASSERT_EQ(key->public_key().size(), 65u);
  EXPECT_EQ(key->public_key()[0], 0x04);
  auto again = PrivateKey::FromPem(key->ToPem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), key->public_key());
  EXPECT_EQ(*PublicKeyFromPem(key->PublicPem()), key->public_key());
  SignatureBytes sig = key->Sign(AsBytes("invoice"));
  EXPECT_TRUE(VerifySignature(Suite::kSm2Sm3, key->public_key(), AsBytes("invoice"), sig));
  EXPECT_EQ(Sm2SignatureFromDer(Sm2SignatureToDer(sig)), sig);
  // FromSeed is deterministic and gives a valid key pair.
  std::array<uint8_t, 32> seed{};
  seed.fill(9);
  auto a = PrivateKey::FromSeed(seed, Suite::kSm2Sm3), b = PrivateKey::FromSeed(seed, Suite::kSm2Sm3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_TRUE(VerifySignature(Suite::kSm2Sm3, b->public_key(), AsBytes("x"), a->Sign(AsBytes("x"))));
}

// Our signature on the chain (r || s) checked by OpenSSL's command line, by ledger/README.md's
// commands: the DER made with `openssl asn1parse -genconf`, the ID set with -pkeyopt distid.
TEST(Sm2, OpensslVerifiesOurSignatureWithTheChainsDistinguishingId) {
  ScopedSuite sm2(Suite::kSm2Sm3);
  testing::TempDir dir;
  auto key = *PrivateKey::Generate();
  BlockHeader h{1, Hash{}, 1780000000000, 3, LeafHash(AsBytes("x"))};
  SignedHeader signed_header = SignHeader(h, key);
  std::ofstream(dir.File("authority.pub.pem")) << key.PublicPem();
  Bytes header = h.Encode();
  std::ofstream(dir.File("header.bin"), std::ios::binary).write(reinterpret_cast<const char*>(header.data()), header.size());
  const std::string sig = ToHex(signed_header.signature);
  std::ofstream(dir.File("sig.cnf")) << "asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x" << sig.substr(0, 64) << "\ns=INTEGER:0x"
                                     << sig.substr(64) << "\n";
  const std::string in = " -in " + dir.File("header.bin") + " -sigfile " + dir.File("sig.der");
  ASSERT_EQ(Shell("openssl asn1parse -genconf " + dir.File("sig.cnf") + " -out " + dir.File("sig.der") + " -noout").substr(0, 3), "ok:");
  const std::string verify = "openssl pkeyutl -verify -pubin -inkey " + dir.File("authority.pub.pem") + " -rawin -digest sm3";
  std::string ok = Shell(verify + " -pkeyopt distid:1234567812345678" + in);
  EXPECT_NE(ok.find("Signature Verified Successfully"), std::string::npos) << ok;
  // Without the ID (OpenSSL 3.0's default is empty) it does not verify: the ID is part of it.
  EXPECT_EQ(Shell(verify + in).find("Signature Verified Successfully"), std::string::npos);
  // And the block hash is SM3 of the header, as `openssl dgst -sm3` computes it.
  std::string dgst = Shell("openssl dgst -sm3 -r " + dir.File("header.bin"));
  EXPECT_NE(dgst.find(h.BlockHash().Hex()), std::string::npos) << dgst;
}

TEST(Suites, EntriesAndHeadersOfTheOtherSuiteAreRefusedNamingBoth) {
  Bytes ed_entry, ed_header;
  {
    ScopedSuite ed(Suite::kEd25519Sha256);
    ed_entry = testing::MakeEntry(*PrivateKey::Generate(), "p");
    ed_header = BlockHeader{1, Hash{}, 1, 0, EmptyRoot()}.Encode();
  }
  ScopedSuite sm2(Suite::kSm2Sm3);
  auto e = Entry::Decode(ed_entry);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("ed25519-sha256"), std::string::npos) << e.status().message();
  EXPECT_NE(e.status().message().find("sm2-sm3"), std::string::npos) << e.status().message();
  auto h = BlockHeader::Decode(ed_header);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("the block is ed25519-sha256, this node's chain is sm2-sm3"), std::string::npos)
      << h.status().message();
  // A key of the other suite cannot sign an entry of this chain.
  auto made = Entry::Make("issue", "x", {}, *PrivateKey::Generate(Suite::kEd25519Sha256));
  EXPECT_FALSE(made.ok());
  // An SM2 entry round-trips, with its 65-byte key.
  Bytes sm2_entry = testing::MakeEntry(*PrivateKey::Generate(), "p");
  EXPECT_EQ(std::string(sm2_entry.begin(), sm2_entry.begin() + 4), "EIE2");
  auto back = Entry::Decode(sm2_entry);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->SignatureValid());
  EXPECT_EQ(back->Encode(), sm2_entry);
}

TEST(Suites, AStoreOfTheOtherSuiteIsRefusedNamingBoth) {
  testing::TempDir dir;
  const std::string db = dir.File("node.db");
  {
    ScopedSuite ed(Suite::kEd25519Sha256);
    auto key = *PrivateKey::Generate();
    auto store = BlockStore::Open(db, key.public_key());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->InitGenesis(key, 1).ok());
  }
  EXPECT_EQ(*BlockStore::SuiteOf(db), Suite::kEd25519Sha256);
  ScopedSuite sm2(Suite::kSm2Sm3);
  auto opened = BlockStore::OpenExisting(db);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(), db + "'s chain is ed25519-sha256, this node's chain is sm2-sm3");
}

TEST(Suites, CheckpointsNameTheirSuiteAndNotesCarrySm2Signatures) {
  ScopedSuite sm2(Suite::kSm2Sm3);
  auto log = *PrivateKey::Generate();
  auto witness = *PrivateKey::Generate();
  tlog::Checkpoint c{"tax.example/log", 3, LeafHash(AsBytes("r")), {}};
  const std::string text = tlog::FormatCheckpoint(c);
  EXPECT_EQ(text.substr(text.find('\n', text.find('\n') + 1) + 1).substr(45), "suite sm2-sm3\n");
  auto parsed = tlog::ParseCheckpoint(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->suite, Suite::kSm2Sm3);
  EXPECT_TRUE(parsed->extensions.empty());
  std::string note = tlog::SignNote(text, c.origin, log);
  note += tlog::CosignatureLine(text, "court.example/w", witness, 1780000000);
  auto n = tlog::ParseNote(note);
  ASSERT_TRUE(n.ok());
  auto log_key = tlog::ParseVerifierKey(tlog::FormatVerifierKey(c.origin, log.public_key()));
  ASSERT_TRUE(log_key.ok()) << log_key.status().message();
  EXPECT_EQ(log_key->type, tlog::kSm2);
  EXPECT_TRUE(*tlog::VerifiedBy(*n, *log_key));
  auto w_key = tlog::ParseVerifierKey(tlog::FormatVerifierKey("court.example/w", witness.public_key(), tlog::kSm2Cosignature));
  ASSERT_TRUE(w_key.ok()) << w_key.status().message();
  EXPECT_EQ(**tlog::CosignatureTime(*n, *w_key), 1780000000u);
  // An Ed25519 network's node refuses it, naming both.
  ScopedSuite ed(Suite::kEd25519Sha256);
  auto refused = tlog::ParseCheckpoint(text);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "the checkpoint is sm2-sm3, this node's chain is ed25519-sha256");
}

}  // namespace
}  // namespace ledger
