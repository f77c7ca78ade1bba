#include <gtest/gtest.h>

#include "tests/scoped_suite.h"
#include "ledger/block.h"
#include "ledger/entry.h"
#include "ledger/format.h"
#include "test_chain.h"

namespace ledger {
namespace {

using testing::KeyFromByte;

TEST(Entry, EncodesTheDocumentedBytes) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  PrivateKey key = KeyFromByte(7);
  auto e = Entry::Make("issue", "ABC", Bytes{0xde, 0xad}, key);
  ASSERT_TRUE(e.ok());
  Bytes b = e->Encode();
  // magic, kind, submitter, key, payload length, payload, signature
  ASSERT_EQ(b.size(), 4u + 1 + 5 + 1 + 3 + 32 + 4 + 2 + 64);
  EXPECT_EQ(ToHex(ByteView(b).first(4)), "45494531");
  EXPECT_EQ(b[4], 5);
  EXPECT_EQ(std::string(b.begin() + 5, b.begin() + 10), "issue");
  EXPECT_EQ(b[10], 3);
  EXPECT_EQ(std::string(b.begin() + 11, b.begin() + 14), "ABC");
  EXPECT_TRUE(std::equal(key.public_key().begin(), key.public_key().end(), b.begin() + 14));
  EXPECT_EQ(ToHex(ByteView(b).subspan(46, 6)), "00000002dead");
  EXPECT_TRUE(VerifySignature(key.public_key(), ByteView(b).first(b.size() - 64), ByteView(b).last(64)));
  EXPECT_TRUE(e->SignatureValid());
}

TEST(Entry, DecodeIsStrictAndRoundTrips) {
  Bytes b = testing::MakeEntry(KeyFromByte(3), "hello");
  auto e = Entry::Decode(b);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Encode(), b);
  Bytes trailing = b;
  trailing.push_back(0);
  EXPECT_FALSE(Entry::Decode(trailing).ok());
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(Entry::Decode(ByteView(b).first(cut)).ok()) << cut;
  Bytes bad_kind = b;
  bad_kind[5] = 'I';  // upper case is not a kind character
  EXPECT_FALSE(Entry::Decode(bad_kind).ok());
}

TEST(Entry, EveryFlippedByteBreaksTheSignatureOrTheFormat) {
  Bytes b = testing::MakeEntry(KeyFromByte(3), "payload");
  for (size_t i = 0; i < b.size(); ++i) {
    Bytes f = b;
    f[i] ^= 0x01;
    auto e = Entry::Decode(f);
    EXPECT_TRUE(!e.ok() || !e->SignatureValid()) << "byte " << i;
  }
}

TEST(Entry, RefusesBadFields) {
  PrivateKey key = KeyFromByte(3);
  EXPECT_FALSE(Entry::Make("", "A", {}, key).ok());
  EXPECT_FALSE(Entry::Make("issue", "", {}, key).ok());
  EXPECT_FALSE(Entry::Make("issue", "a b", {}, key).ok());
  EXPECT_FALSE(Entry::Make(std::string(33, 'a'), "A", {}, key).ok());
  EXPECT_FALSE(Entry::Make("issue", "A", Bytes(format::kMaxPayloadLen + 1), key).ok());
  EXPECT_TRUE(Entry::Make("issue", "A", Bytes(format::kMaxPayloadLen), key).ok());
}

TEST(BlockHeader, EncodesTheDocumentedBytes) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  BlockHeader h{0x0102, *HashFromHex(std::string(64, 'a')), 0x1122334455, 7, EmptyRoot()};
  Bytes b = h.Encode();
  ASSERT_EQ(b.size(), format::kHeaderLen);
  EXPECT_EQ(ToHex(b),
            "45494231" "0000000000000102" + std::string(64, 'a') + "0000001122334455" "0000000000000007" +
                EmptyRoot().Hex());
  EXPECT_EQ(h.BlockHash(), Sha256(b));
  EXPECT_EQ(*BlockHeader::Decode(b), h);
  EXPECT_FALSE(BlockHeader::Decode(ByteView(b).first(91)).ok());
  b[0] = 'X';
  EXPECT_FALSE(BlockHeader::Decode(b).ok());
}

TEST(BlockHeader, SignatureCoversEveryByte) {
  PrivateKey authority = KeyFromByte(1);
  BlockHeader h{5, Sha256(AsBytes("x")), 99, 10, Sha256(AsBytes("y"))};
  SignedHeader s = SignHeader(h, authority);
  EXPECT_TRUE(s.SignatureValid(authority.public_key()));
  EXPECT_FALSE(s.SignatureValid(KeyFromByte(2).public_key()));
  SignedHeader t = s;
  t.header.time_ms++;
  EXPECT_FALSE(t.SignatureValid(authority.public_key()));
}

TEST(Keys, PemRoundTrip) {
  auto k = PrivateKey::Generate();
  ASSERT_TRUE(k.ok());
  auto again = PrivateKey::FromPem(k->ToPem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), k->public_key());
  EXPECT_EQ(*PublicKeyFromPem(k->PublicPem()), k->public_key());
  EXPECT_EQ(*PublicKeyFromPem(k->ToPem()), k->public_key());
  EXPECT_FALSE(PrivateKey::FromPem("not a key").ok());
}

}  // namespace
}  // namespace ledger
