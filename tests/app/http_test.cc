// The chain endpoints of a real node over real HTTP on a loopback port chosen by the OS.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

#include "app/node/node.h"
#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "test_util.h"

namespace app {
namespace {

using apptest::Request;
using Poco::JSON::Object;

Object::Ptr ParseObject(const std::string& s) {
  return Poco::JSON::Parser().parse(s).extract<Object::Ptr>();
}

class NodeHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeConfig c;
    c.role = Role::kAuthority;
    c.name = "Test authority";
    c.listen_port = 0;
    c.data_dir = dir_.path();
    c.db_path = dir_.File("node.db");
    c.key_file = dir_.File("authority.pem");
    node_ = std::make_unique<Node>(c, [] { return uint64_t{1790000000000}; });
    node_->Start();
    auto submitter = ledger::PrivateKey::Generate();
    std::vector<ledger::Bytes> entries;
    for (int i = 0; i < 11; ++i) {
      std::string p = "event " + std::to_string(i);
      entries.push_back(ledger::Entry::Make("issue", "T1", ledger::Bytes(p.begin(), p.end()), *submitter)->Encode());
      leaves_.push_back(ledger::LeafHash(entries.back()));
    }
    ASSERT_TRUE(node_->store().Seal({entries.begin(), entries.begin() + 4}, 1790000000001, node_->key()).ok());
    ASSERT_TRUE(node_->store().Seal({entries.begin() + 4, entries.end()}, 1790000000002, node_->key()).ok());
  }
  void TearDown() override { node_->Stop(); }

  uint16_t port() { return node_->port(); }
  void ExpectError(const apptest::HttpResult& r, int status, const std::string& code, const std::string& field = "") {
    EXPECT_EQ(r.status, status) << r.body;
    auto err = ParseObject(r.body)->getObject("error");
    ASSERT_TRUE(err) << r.body;
    EXPECT_EQ(err->getValue<std::string>("code"), code);
    EXPECT_FALSE(err->getValue<std::string>("message").empty());
    if (!field.empty()) {
      EXPECT_EQ(err->getValue<std::string>("field"), field);
    }
  }

  apptest::TempDir dir_;
  std::unique_ptr<Node> node_;
  std::vector<ledger::Hash> leaves_;
};

TEST_F(NodeHttp, HealthAndMetrics) {
  auto h = Request(port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(ParseObject(h.body)->getValue<std::string>("status"), "ok");
  EXPECT_EQ(ParseObject(h.body)->getValue<uint64_t>("height"), 2u);
  auto m = Request(port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("einvoice_chain_height 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("einvoice_http_requests_total{route=\"/healthz\",status=\"200\"} 1\n"), std::string::npos)
      << m.body;
}

TEST_F(NodeHttp, SignedHeadVerifiesWithTheAuthorityKey) {
  auto r = Request(port(), "GET", "/v1/chain/head");
  ASSERT_EQ(r.status, 200);
  auto o = ParseObject(r.body);
  EXPECT_EQ(o->getValue<uint64_t>("height"), 2u);
  EXPECT_EQ(o->getValue<uint64_t>("tree_size"), 11u);
  EXPECT_EQ(o->getValue<std::string>("tree_root"), ledger::RootOf(leaves_).Hex());
  EXPECT_EQ(o->getValue<std::string>("time"), "2026-09-21T14:13:20.002Z");
  auto header = ledger::FromHex(o->getValue<std::string>("header"));
  auto sig = ledger::FromHex(o->getValue<std::string>("signature"));
  EXPECT_TRUE(ledger::VerifySignature(node_->key().public_key(), *header, *sig));
  EXPECT_EQ(ledger::ChainHash(*header).Hex(), o->getValue<std::string>("block_hash"));
}

TEST_F(NodeHttp, BlocksPageInExportFormat) {
  auto r = Request(port(), "GET", "/v1/chain/blocks?from=1&limit=5");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  std::istringstream lines(r.body);
  std::string line;
  std::vector<Object::Ptr> blocks;
  while (std::getline(lines, line)) blocks.push_back(ParseObject(line));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]->getValue<uint64_t>("height"), 1u);
  EXPECT_EQ(blocks[0]->getArray("leaves")->size(), 4u);
  EXPECT_EQ(blocks[1]->getArray("leaves")->size(), 7u);
  EXPECT_EQ(blocks[1]->getArray("leaves")->getObject(0)->getValue<std::string>("leaf_hash"), leaves_[4].Hex());
  ExpectError(Request(port(), "GET", "/v1/chain/blocks?from=9"), 404, "not_found");
  ExpectError(Request(port(), "GET", "/v1/chain/blocks?limit=0"), 400, "invalid_parameter", "limit");
  ExpectError(Request(port(), "GET", "/v1/chain/blocks?from=x"), 400, "invalid_parameter", "from");
  ExpectError(Request(port(), "GET", "/v1/chain/blocks?from=%zz"), 400, "malformed_query");
}

TEST_F(NodeHttp, BinaryBlocksPageCarriesTheSameBlocksAsTheExportFormat) {
  auto json = Request(port(), "GET", "/v1/chain/blocks?from=1&limit=5");
  auto bin = Request(port(), "GET", "/v1/chain/blocks?from=1&limit=5&format=binary");
  ASSERT_EQ(bin.status, 200);
  EXPECT_EQ(bin.content_type, "application/octet-stream");
  std::istringstream lines(json.body);
  std::string line;
  std::vector<app::BlockLine> expected;
  while (std::getline(lines, line)) expected.push_back(app::ParseBlockLine(line));
  auto got = app::ParseBlocksBinary(bin.body);
  ASSERT_EQ(got.size(), expected.size());
  ASSERT_EQ(got.size(), 2u);
  for (size_t b = 0; b < got.size(); ++b) {
    EXPECT_TRUE(got[b].head.header == expected[b].head.header);
    EXPECT_EQ(got[b].head.signature, expected[b].head.signature);
    ASSERT_EQ(got[b].leaves.size(), expected[b].leaves.size());
    for (size_t i = 0; i < got[b].leaves.size(); ++i) {
      EXPECT_EQ(got[b].leaves[i].index, expected[b].leaves[i].index);
      EXPECT_EQ(got[b].leaves[i].leaf_hash, expected[b].leaves[i].leaf_hash);
      EXPECT_EQ(got[b].leaves[i].entry, expected[b].leaves[i].entry);
    }
  }
  // Every cut short of the whole page either throws or yields less than the page holds.
  size_t leaves = got[0].leaves.size() + got[1].leaves.size();
  for (size_t cut = 1; cut < bin.body.size(); ++cut) {
    try {
      auto part = app::ParseBlocksBinary(std::string_view(bin.body).substr(0, cut));
      size_t n = 0;
      for (const auto& b : part) n += b.leaves.size();
      EXPECT_LT(n, leaves) << cut;
    } catch (const std::invalid_argument&) {
    }
  }
  ExpectError(Request(port(), "GET", "/v1/chain/blocks?from=1&format=xml"), 400, "invalid_parameter", "format");
}

TEST_F(NodeHttp, InclusionAndConsistencyProofsVerify) {
  auto root = ledger::RootOf(leaves_);
  for (size_t i = 0; i < leaves_.size(); ++i) {
    auto r = Request(port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + leaves_[i].Hex() + "&tree_size=11");
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = ParseObject(r.body);
    EXPECT_EQ(o->getValue<uint64_t>("leaf_index"), i);
    std::vector<ledger::Hash> proof;
    auto arr = o->getArray("proof");
    for (size_t k = 0; k < arr->size(); ++k) proof.push_back(*ledger::HashFromHex(arr->getElement<std::string>(k)));
    EXPECT_TRUE(ledger::VerifyInclusion(i, 11, leaves_[i], proof, root));
  }
  auto c = Request(port(), "GET", "/v1/proofs/consistency?first=4&second=11");
  ASSERT_EQ(c.status, 200);
  std::vector<ledger::Hash> proof;
  auto arr = ParseObject(c.body)->getArray("proof");
  for (size_t k = 0; k < arr->size(); ++k) proof.push_back(*ledger::HashFromHex(arr->getElement<std::string>(k)));
  std::vector<ledger::Hash> first4(leaves_.begin(), leaves_.begin() + 4);
  EXPECT_TRUE(ledger::VerifyConsistency(4, 11, ledger::RootOf(first4), root, proof));

  ExpectError(Request(port(), "GET", "/v1/proofs/inclusion"), 400, "missing_parameter", "leaf_hash");
  ExpectError(Request(port(), "GET", "/v1/proofs/inclusion?leaf_hash=abc"), 400, "invalid_parameter", "leaf_hash");
  ExpectError(Request(port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + std::string(64, '0')), 404, "not_found");
  ExpectError(Request(port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + leaves_[10].Hex() + "&tree_size=4"), 404,
              "not_found");
  ExpectError(Request(port(), "GET", "/v1/proofs/inclusion?leaf_hash=" + leaves_[0].Hex() + "&tree_size=99"), 400,
              "invalid_parameter", "tree_size");
  ExpectError(Request(port(), "GET", "/v1/proofs/consistency?first=0&second=3"), 400, "invalid_parameter", "first");
  ExpectError(Request(port(), "GET", "/v1/proofs/consistency?first=3&second=12"), 400, "invalid_parameter", "second");
  ExpectError(Request(port(), "GET", "/v1/proofs/consistency?second=3"), 400, "missing_parameter", "first");
}

TEST_F(NodeHttp, UnknownPathsAndMethodsGetTheErrorBody) {
  ExpectError(Request(port(), "GET", "/nope"), 404, "not_found");
  ExpectError(Request(port(), "POST", "/v1/chain/head", "{}"), 405, "method_not_allowed");
  ExpectError(Request(port(), "DELETE", "/healthz"), 405, "method_not_allowed");
}

}  // namespace
}  // namespace app
