// Every RFC 9162 vector in shared/vectors/merkle: wantErr:false must verify, wantErr:true
// must be rejected. The test walks the folders, so a new vector file is covered as added.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/scoped_suite.h"
#include "ledger/merkle.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;

Poco::JSON::Object::Ptr Load(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
}

Bytes B64(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (o->isNull(key)) return {};
  auto b = FromBase64(o->getValue<std::string>(key));
  EXPECT_TRUE(b.has_value()) << key;
  return b.value_or(Bytes{});
}

std::vector<Bytes> Proof(const Poco::JSON::Object::Ptr& o) {
  std::vector<Bytes> out;
  if (o->isNull("proof")) return out;
  auto arr = o->getArray("proof");
  for (size_t i = 0; i < arr->size(); ++i) {
    auto b = FromBase64(arr->getElement<std::string>(i));
    EXPECT_TRUE(b.has_value());
    out.push_back(b.value_or(Bytes{}));
  }
  return out;
}

std::vector<fs::path> Files(const std::string& sub) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(EINVOICE_VECTORS_DIR) / "merkle" / sub))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MerkleVectors, Inclusion) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto files = Files("inclusion");
  ASSERT_GE(files.size(), 90u) << "vectors missing under " << EINVOICE_VECTORS_DIR;
  int accepted = 0, rejected = 0;
  for (const auto& f : files) {
    auto o = Load(f);
    bool want_err = o->getValue<bool>("wantErr");
    bool ok = VerifyInclusionBytes(o->getValue<uint64_t>("leafIdx"), o->getValue<uint64_t>("treeSize"),
                                   B64(o, "leafHash"), Proof(o), B64(o, "root"));
    EXPECT_EQ(ok, !want_err) << f << ": " << o->getValue<std::string>("desc");
    (ok ? accepted : rejected)++;
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

TEST(MerkleVectors, Consistency) {
  testing_suite::ScopedSuite ed25519(ledger::Suite::kEd25519Sha256);  // RFC 9162 / RFC 8032 / C2SP known answers
  auto files = Files("consistency");
  ASSERT_GE(files.size(), 90u);
  int accepted = 0, rejected = 0;
  for (const auto& f : files) {
    auto o = Load(f);
    bool want_err = o->getValue<bool>("wantErr");
    bool ok = VerifyConsistencyBytes(o->getValue<uint64_t>("size1"), o->getValue<uint64_t>("size2"),
                                     B64(o, "root1"), B64(o, "root2"), Proof(o));
    EXPECT_EQ(ok, !want_err) << f << ": " << o->getValue<std::string>("desc");
    (ok ? accepted : rejected)++;
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

TEST(MerkleVectors, CoversEveryFile) {
  size_t all = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(EINVOICE_VECTORS_DIR) / "merkle"))
    if (e.is_regular_file() && e.path().extension() == ".json") ++all;
  EXPECT_EQ(all, Files("inclusion").size() + Files("consistency").size());
}

}  // namespace
}  // namespace ledger
