// POST /v1/events' outcomes: what the authority writes, the submitting node reads back typed.
#include "app/chain/entry_outcome.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <sstream>

namespace app {
namespace {

EntryOutcome RoundTrip(const EntryOutcome& o) {
  std::ostringstream text;
  OutcomeJson(o)->stringify(text);
  return OutcomeFromJson(Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>());
}

TEST(EntryOutcome, SealedWithAGrantReadsBack) {
  EntryOutcome o;
  o.leaf_hash = std::string(64, 'a');
  o.sealed = true;
  o.height = 17;
  o.leaf_index = 4;
  o.verdict.granted = invoice::NumberRange{invoice::InvoiceNumber::Parse("44262100000000000000")->prefix, 1, 5000};
  EntryOutcome back = RoundTrip(o);
  EXPECT_TRUE(back.sealed);
  EXPECT_EQ(back.height, 17u);
  EXPECT_EQ(back.leaf_index, 4u);
  EXPECT_EQ(back.leaf_hash, o.leaf_hash);
  ASSERT_TRUE(back.verdict.granted);
  EXPECT_EQ(back.verdict.granted->prefix, o.verdict.granted->prefix);
  EXPECT_EQ(back.verdict.granted->first, 1u);
  EXPECT_EQ(back.verdict.granted->count, 5000u);
}

TEST(EntryOutcome, RefusedWithItsReasonFieldHeightAndDifferencesReadsBack) {
  EntryOutcome o;
  o.leaf_hash = std::string(64, 'b');
  o.verdict.refusal = invoice::Refusal::kFilingMismatch;
  o.verdict.message = "the filed figures differ";
  o.verdict.field = "figures";
  o.verdict.conflict_height = 9;
  o.differences = {{"tax_fen", "100", "101"}, {"set_hash", "x", "y"}};
  EntryOutcome back = RoundTrip(o);
  EXPECT_FALSE(back.sealed);
  EXPECT_EQ(back.verdict.refusal, invoice::Refusal::kFilingMismatch);
  EXPECT_EQ(back.verdict.message, o.verdict.message);
  EXPECT_EQ(back.verdict.field, "figures");
  EXPECT_EQ(back.verdict.conflict_height, 9u);
  ASSERT_EQ(back.differences.size(), 2u);
  EXPECT_EQ(back.differences[1].figure, "set_hash");
  EXPECT_EQ(back.differences[0].chain, "101");
}

TEST(EntryOutcome, AMalformedAnswerThrowsInsteadOfGuessing) {
  auto parse = [](const std::string& json) {
    return OutcomeFromJson(Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>());
  };
  EXPECT_THROW(parse(R"({"leaf_hash":"a","status":"maybe"})"), std::runtime_error);
  EXPECT_THROW(parse(R"({"leaf_hash":"a","status":"refused","code":"no_such_code"})"), std::runtime_error);
  EXPECT_THROW(parse(R"({"leaf_hash":"a","status":"sealed"})"), std::runtime_error);
  EXPECT_THROW(parse(R"({"status":"sealed","height":1,"leaf_index":0})"), std::runtime_error);
}

}  // namespace
}  // namespace app
