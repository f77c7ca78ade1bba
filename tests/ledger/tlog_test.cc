// The C2SP formats against published vectors: Go's sumdb/note test notes (PeterNeumann,
// EnochRoot), the signed-note spec's example, and a checkpoint over a 3-leaf tree signed by a
// key from a fixed seed (made with Go's sumdb/note and checked with Python's cryptography);
// tile paths as tlog-tiles spells them, and every other spelling refused.
#include <gtest/gtest.h>

#include "tests/scoped_suite.h"
#include "ledger/merkle.h"
#include "ledger/tlog.h"

namespace ledger::tlog {
namespace {

const std::string kDash = "\xE2\x80\x94 ";
const std::string kPeterText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const std::string kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kPeterSig = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
const std::string kEnochVkey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kEnochSig = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=";

PrivateKey SeedKey(uint8_t first) {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return *PrivateKey::FromSeed(seed);
}

TEST(Tlog, GoNotesVerifyAndSigningAgainGivesGosSignature) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto peter = ParseVerifierKey(kPeterVkey);
  ASSERT_TRUE(peter.ok()) << peter.status().message();
  EXPECT_EQ(peter->id, 0xc74f20a3u);
  auto enoch = ParseVerifierKey(kEnochVkey);
  ASSERT_TRUE(enoch.ok());
  auto note = ParseNote(kPeterText + "\n" + kDash + "PeterNeumann " + kPeterSig + "\n" + kDash + "EnochRoot " + kEnochSig + "\n");
  ASSERT_TRUE(note.ok()) << note.status().message();
  EXPECT_EQ(note->text, kPeterText);
  EXPECT_TRUE(*VerifiedBy(*note, *peter));
  EXPECT_TRUE(*VerifiedBy(*note, *enoch));

  // Go's signer key: PRIVATE+KEY+PeterNeumann+c74f20a3+base64(0x01 || seed).
  auto skey = FromBase64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_TRUE(skey && skey->size() == 33);
  std::array<uint8_t, 32> seed{};
  std::copy(skey->begin() + 1, skey->end(), seed.begin());
  auto key = PrivateKey::FromSeed(seed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(FormatVerifierKey("PeterNeumann", key->public_key()), kPeterVkey);
  EXPECT_EQ(SignNote(kPeterText, "PeterNeumann", *key), kPeterText + "\n" + kDash + "PeterNeumann " + kPeterSig + "\n");
}

TEST(Tlog, TheSignedNoteSpecsExampleVerifies) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto foo = ParseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  ASSERT_TRUE(foo.ok());
  auto note = ParseNote("This is an example message.\n\n" + kDash +
                        "example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n");
  ASSERT_TRUE(note.ok());
  EXPECT_TRUE(*VerifiedBy(*note, *foo));
}

TEST(Tlog, ForgeriesAndOtherKeysAreToldApart) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto peter = *ParseVerifierKey(kPeterVkey);
  // The text changed: the known key's signature fails, so the note must be refused.
  auto changed = ParseNote("If you think cryptography is the answer to your problem,\nthen you know what your problem is.\n\n" +
                           kDash + "PeterNeumann " + kPeterSig + "\n");
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(VerifiedBy(*changed, peter).ok());
  // Only another key signed: not verified by this one (and not an error).
  auto other = ParseNote(kPeterText + "\n" + kDash + "EnochRoot " + kEnochSig + "\n");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*VerifiedBy(*other, peter));
  // Bad verifier keys.
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==").ok());
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok()) << "wrong ID";
  EXPECT_FALSE(ParseVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  // Malformed notes.
  for (const std::string& bad : {kPeterText, kPeterText + "\n", kPeterText + "\n" + "- PeterNeumann " + kPeterSig + "\n",
                                 kPeterText + "\n" + kDash + "PeterNeumann " + kPeterSig,
                                 kPeterText + "\n" + kDash + "PeterNeumann not-base64\n",
                                 "a\rb\n\n" + kDash + "PeterNeumann " + kPeterSig + "\n"})
    EXPECT_FALSE(ParseNote(bad).ok()) << bad;
}

TEST(Tlog, ACheckpointOfThreeLeavesSignedAsGoSignsIt) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  PrivateKey log = SeedKey(0x00);
  const std::string name = "example.com/einvoice-test-log";
  EXPECT_EQ(FormatVerifierKey(name, log.public_key()), name + "+36a6189e+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  // Its base64 holds a '+': the name and the ID end at the first two.
  auto vkey = ParseVerifierKey(name + "+36a6189e+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  ASSERT_TRUE(vkey.ok()) << vkey.status().message();
  EXPECT_EQ(vkey->public_key, Bytes(log.public_key().begin(), log.public_key().end()));
  std::vector<Hash> leaves = {LeafHash(AsBytes("a")), LeafHash(AsBytes("b")), LeafHash(AsBytes("c"))};
  Checkpoint c{name, 3, RootOf(leaves), {}};
  const std::string text = FormatCheckpoint(c);
  EXPECT_EQ(text, name + "\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n");
  EXPECT_EQ(SignatureLine(text, name, log),
            kDash + name + " NqYYnvrjMOg2lb2W/aRH7Itfmx/yItm9CxNoSoaQkgo/Nou1CYkJ3N9cFf6ro8VoLuvW0JKOKpy1md2ozngYZ7WabwQ=\n");
  auto back = ParseCheckpoint(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->origin, name);
  EXPECT_EQ(back->size, 3u);
  EXPECT_EQ(back->root, c.root);
  for (const std::string& bad : {name + "\n3\n", name + "\n03\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n",
                                 name + "\n3\nNmQuc8JUCrEh46a\n", name + "\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=",
                                 name + "\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n"})
    EXPECT_FALSE(ParseCheckpoint(bad).ok()) << bad;
}

// The cosignature of the checkpoint above by a witness key from a fixed seed, at time
// 1700000000 (made with Go's sumdb/note and a tlog-cosignature signer, checked with Python).
TEST(Tlog, AWitnessCosignsTheCheckpointAsTheSpecSays) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  PrivateKey witness = SeedKey(0x20);
  const std::string name = "example.com/einvoice-test-witness";
  const std::string vkey = name + "+a41e30f5+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
  EXPECT_EQ(FormatVerifierKey(name, witness.public_key(), kCosignatureV1), vkey);
  const std::string text = "example.com/einvoice-test-log\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n";
  const std::string line = CosignatureLine(text, name, witness, 1700000000);
  EXPECT_EQ(line, kDash + name +
                      " pB4w9QAAAABlU/EA4yPf2Ex04gOAZVZ1pviIlS2YoQNaTvItQaUKPJkY5/QC9qtWNSwFYZmstDkYjNlwr16Il4A6gnnQRMUtjvPIAQ==\n");
  PrivateKey log = SeedKey(0x00);
  auto note = ParseNote(SignNote(text, "example.com/einvoice-test-log", log) + line);
  ASSERT_TRUE(note.ok());
  auto key = ParseVerifierKey(vkey);
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto t = CosignatureTime(*note, *key);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->value_or(0), 1700000000u);
  // The log's key does not verify the witness's line, and a cosignature of another text fails.
  auto other = ParseNote("example.com/einvoice-test-log\n4\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n" + line);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(CosignatureTime(*other, *key).ok());
}

TEST(Tlog, TilePathsAreSpelledOneWay) {
  EXPECT_EQ(TilePath({0, 0, 256, false}), "tile/0/000");
  EXPECT_EQ(TilePath({0, 999, 256, false}), "tile/0/999");
  EXPECT_EQ(TilePath({0, 1000, 256, false}), "tile/0/x001/000");
  EXPECT_EQ(TilePath({0, 1234067, 256, false}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({0, 273, 112, false}), "tile/0/273.p/112");
  EXPECT_EQ(TilePath({1, 1, 17, false}), "tile/1/001.p/17");
  EXPECT_EQ(TilePath({0, 5, 256, true}), "tile/entries/005");
  for (const char* p : {"tile/0/000", "tile/0/x001/x234/067", "tile/0/273.p/112", "tile/1/001.p/17",
                               "tile/entries/005", "tile/entries/x001/000.p/3", "tile/63/000"}) {
    auto t = ParseTilePath(p);
    ASSERT_TRUE(t.ok()) << p;
    EXPECT_EQ(TilePath(*t), std::string(p));
  }
  for (const char* p : {"tile/0/0", "tile/0/0000", "tile/0/x000/001", "tile/0/001/002", "tile/0/000.p/0",
                               "tile/0/000.p/256", "tile/0/000.p/007", "tile/64/000", "tile/00/000", "tile/-1/000",
                               "tile/0/", "tile/0/abc", "tile/8/0/000", "tiles/0/000", "tile/data/000"})
    EXPECT_FALSE(ParseTilePath(p).ok()) << p;
}

}  // namespace
}  // namespace ledger::tlog
