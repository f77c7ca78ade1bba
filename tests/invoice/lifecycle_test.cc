// Every transition of the lifecycle, accepted and refused, with the typed reason.
#include "invoice/lifecycle.h"

#include <gtest/gtest.h>

#include <set>

namespace invoice {
namespace {

const std::string kMerchant = "91440300MA5DQ3QP4X";
const std::string kMerchant2 = "91310115MA1K4BHY14";
const std::string kCompany = "91110108MA01G7GK9M";
const std::string kCompany2 = "91350100M000100Y43";
const std::string kKey(64, 'a');
const std::string kAuth(kAuthoritySubmitter);

Invoice Blue(const std::string& no, const std::string& buyer_tax_id, Fen gross, const std::string& payment) {
  Invoice inv;
  inv.invoice_no = no;
  inv.seller = {"Shenzhen Coffee Ltd", kMerchant, ""};
  inv.buyer = {buyer_tax_id.empty() ? "Zhang San" : "Beijing Widgets Co", buyer_tax_id, ""};
  Line l;
  l.name = "Latte";
  l.quantity = *Decimal::Parse("1");
  l.unit_price_fen = Decimal{gross, 0};
  l.gross_fen = gross;
  inv.lines = {l};
  inv.payment_id = payment;
  return inv;
}

Invoice Red(const std::string& no, const std::string& original, Fen amount, const std::string& refund,
            const std::string& confirmation = "") {
  Invoice inv = Blue(no, "", -amount, refund);
  inv.color = Color::kRed;
  inv.lines[0].quantity = *Decimal::Parse("-1");
  inv.lines[0].unit_price_fen = Decimal{amount, 0};
  inv.original_no = original;
  inv.red_reason = "02";
  inv.confirmation_id = confirmation;
  return inv;
}

std::string No(uint64_t seq) { return InvoiceNumber{{26, 44, 1}, seq}.ToString(); }

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& id : {kMerchant, kMerchant2, kCompany, kCompany2})
      ASSERT_TRUE(lc.Apply(kAuth, RegisterEvent{{}, id, "Taxpayer " + id, kKey}).ok());
    Verdict v = lc.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 1}, 100});
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v.granted, (NumberRange{{26, 44, 1}, 1, 100}));
    ASSERT_TRUE(lc.Apply(kMerchant, IssueEvent{Blue(No(1), kCompany, 11300, "pay-1")}).ok());
    ASSERT_TRUE(lc.Apply(kMerchant, IssueEvent{Blue(No(2), "", 5000, "pay-2")}).ok());
  }
  Refusal Try(const std::string& submitter, const Event& e) { return lc.Apply(submitter, e).refusal; }
  ReimburseEvent Claim(const std::string& no, const std::string& company) {
    return {{}, ReimburseAction::kClaim, no, company, "Li Si", std::string(64, 'a')};
  }
  ReimburseEvent Act(ReimburseAction a, const std::string& no, const std::string& company) {
    return {{}, a, no, company, "", ""};
  }

  Lifecycle lc;
};

TEST_F(LifecycleTest, RegisterRules) {
  EXPECT_EQ(Try(kMerchant, RegisterEvent{{}, "91350100M000100Y43", "x", kKey}), Refusal::kNotAuthorised);
  EXPECT_EQ(Try(kAuth, RegisterEvent{{}, kMerchant, "again", kKey}), Refusal::kAlreadyRegistered);
  auto bad = lc.Apply(kAuth, RegisterEvent{{}, "91440300MA5DQ3QP4Y", "x", kKey});
  EXPECT_EQ(bad.refusal, Refusal::kInvalid);
  EXPECT_EQ(bad.field, "tax_id");
  EXPECT_EQ(lc.Apply(kAuth, RegisterEvent{{}, "91310000MA1FL1MMXL", "x", "xyz"}).field, "node_key");
}

TEST_F(LifecycleTest, ApplyGrantsConsecutiveRangesPerPrefix) {
  Verdict v = lc.Apply(kMerchant2, ApplyEvent{{}, kMerchant2, {26, 44, 1}, 50});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.granted, (NumberRange{{26, 44, 1}, 101, 50}));
  EXPECT_EQ(lc.Apply(kMerchant2, ApplyEvent{{}, kMerchant2, {26, 31, 1}, 5}).granted, (NumberRange{{26, 31, 1}, 1, 5}));
  EXPECT_EQ(Try(kMerchant, ApplyEvent{{}, kMerchant2, {26, 44, 1}, 5}), Refusal::kNotAuthorised);
  EXPECT_EQ(Try("91110000802100433B", ApplyEvent{{}, "91110000802100433B", {26, 44, 1}, 5}), Refusal::kUnknownTaxpayer);
  EXPECT_EQ(Try(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 1}, 0}), Refusal::kInvalid);
  EXPECT_EQ(Try(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 10}, 1}), Refusal::kInvalid);
  EXPECT_EQ(lc.RangesOf(kMerchant2).size(), 2u);
}

TEST_F(LifecycleTest, RangeExhaustion) {
  EXPECT_TRUE(lc.Apply(kMerchant2, ApplyEvent{{}, kMerchant2, {26, 44, 1}, 100'000'000}).ok());
  EXPECT_EQ(Try(kMerchant2, ApplyEvent{{}, kMerchant2, {26, 44, 1}, 100'000'001}), Refusal::kInvalid);  // over quota
  // Fill a prefix up to its last sequence number, with a quota of 10^14 per apply.
  Lifecycle fresh(100'000'000'000'000);
  fresh.Apply(kAuth, RegisterEvent{{}, kMerchant, "m", kKey});
  for (int i = 0; i < 9; ++i)
    ASSERT_TRUE(fresh.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 9}, 100'000'000'000'000}).ok()) << i;
  // Sequences 1 .. 999,999,999,999,999: after 9 x 10^14 only 10^14 - 1 are left.
  EXPECT_EQ(fresh.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 9}, 100'000'000'000'000}).refusal,
            Refusal::kRangeExhausted);
  Verdict last = fresh.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 9}, 99'999'999'999'999});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last.granted->first + last.granted->count - 1, kMaxSequence);
  EXPECT_EQ(fresh.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 9}, 1}).refusal, Refusal::kRangeExhausted);
}

TEST_F(LifecycleTest, IssueRules) {
  EXPECT_EQ(Try(kMerchant, IssueEvent{Blue(No(3), "", 100, "pay-3")}), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Blue(No(3), "", 100, "pay-x")}), Refusal::kNumberUsed);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Blue(No(4), "", 100, "pay-3")}), Refusal::kPaymentAlreadyInvoiced);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Blue(No(101), "", 100, "pay-4")}), Refusal::kOutsideGrantedRange);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Blue(InvoiceNumber{{26, 44, 2}, 5}.ToString(), "", 100, "pay-4")}),
            Refusal::kOutsideGrantedRange);
  EXPECT_EQ(Try(kMerchant2, IssueEvent{Blue(No(5), "", 100, "pay-5")}), Refusal::kNotAuthorised);
  Invoice bad = Blue(No(6), "", 100, "pay-6");
  bad.lines[0].gross_fen = 102;  // 1 x 100 != 102
  Verdict v = lc.Apply(kMerchant, IssueEvent{bad});
  EXPECT_EQ(v.refusal, Refusal::kInvalid);
  EXPECT_EQ(v.field, "items[0].gross_fen");
  Invoice bad_buyer = Blue(No(6), "91110108MA01G7GK9N", 100, "pay-6");
  EXPECT_EQ(lc.Apply(kMerchant, IssueEvent{bad_buyer}).field, "buyer.tax_id");
}

TEST_F(LifecycleTest, RedReversesAtMostWhatRemains) {
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(10), No(2), 3000, "refund-1")}), Refusal::kNone);
  EXPECT_EQ(lc.FindInvoice(No(2))->remaining_fen, 2000);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(11), No(2), 2001, "refund-2")}), Refusal::kReversesMoreThanRemains);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(11), No(2), 2000, "refund-2")}), Refusal::kNone);
  EXPECT_EQ(lc.FindInvoice(No(2))->remaining_fen, 0);
  EXPECT_EQ(lc.FindInvoice(No(2))->reversals, (std::vector<std::string>{No(10), No(11)}));
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(12), No(2), 1, "refund-3")}), Refusal::kReversesMoreThanRemains);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(12), No(10), 1, "refund-3")}), Refusal::kNotBlue);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(12), No(99), 1, "refund-3")}), Refusal::kUnknownInvoice);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(12), No(1), 1, "refund-1")}), Refusal::kPaymentAlreadyInvoiced);
  Invoice bad_reason = Red(No(12), No(1), 1, "refund-4");
  bad_reason.red_reason = "05";
  EXPECT_EQ(lc.Apply(kMerchant, IssueEvent{bad_reason}).field, "red_reason");
  // A fully reversed invoice cannot be claimed.
  EXPECT_EQ(Try(kCompany, Claim(No(2), kCompany)), Refusal::kFullyReversed);
}

TEST_F(LifecycleTest, ClaimSettleRelease) {
  EXPECT_EQ(Try(kCompany2, Claim(No(1), kCompany2)), Refusal::kWrongCompany);
  EXPECT_EQ(Try(kCompany2, Claim(No(1), kCompany)), Refusal::kNotAuthorised);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kSettle, No(1), kCompany)), Refusal::kNotLocked);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kRelease, No(1), kCompany)), Refusal::kNotLocked);
  EXPECT_EQ(Try(kCompany, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany, "", std::string(64, 'a')}), Refusal::kInvalid);
  EXPECT_EQ(Try(kCompany, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany, "Li Si", "abc"}), Refusal::kInvalid);
  EXPECT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kNone);
  EXPECT_EQ(lc.FindInvoice(No(1))->reimbursement, Reimbursement::kLocked);
  EXPECT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kAlreadyLocked);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kRelease, No(1), kCompany)), Refusal::kNone);
  EXPECT_EQ(lc.FindInvoice(No(1))->reimbursement, Reimbursement::kNone);
  EXPECT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kNone);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kSettle, No(1), kCompany)), Refusal::kNone);
  EXPECT_EQ(lc.FindInvoice(No(1))->reimbursement, Reimbursement::kSettled);
  EXPECT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kAlreadySettled);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kSettle, No(1), kCompany)), Refusal::kAlreadySettled);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kRelease, No(1), kCompany)), Refusal::kAlreadySettled);
  EXPECT_EQ(Try(kCompany, Claim(No(99), kCompany)), Refusal::kUnknownInvoice);
}

TEST_F(LifecycleTest, IndividualBuyerInvoiceAnyCompanyButSettledOnce) {
  EXPECT_EQ(Try(kCompany, Claim(No(2), kCompany)), Refusal::kNone);
  EXPECT_EQ(Try(kCompany2, Claim(No(2), kCompany2)), Refusal::kAlreadyLocked);
  EXPECT_EQ(Try(kCompany2, Act(ReimburseAction::kSettle, No(2), kCompany2)), Refusal::kNotClaimant);
  EXPECT_EQ(Try(kCompany2, Act(ReimburseAction::kRelease, No(2), kCompany2)), Refusal::kNotClaimant);
  EXPECT_EQ(Try(kCompany, Act(ReimburseAction::kRelease, No(2), kCompany)), Refusal::kNone);
  EXPECT_EQ(Try(kCompany2, Claim(No(2), kCompany2)), Refusal::kNone);
  EXPECT_EQ(Try(kCompany2, Act(ReimburseAction::kSettle, No(2), kCompany2)), Refusal::kNone);
  EXPECT_EQ(Try(kCompany, Claim(No(2), kCompany)), Refusal::kAlreadySettled);
  EXPECT_EQ(lc.FindInvoice(No(2))->claimant, kCompany2);
}

TEST_F(LifecycleTest, ReversingAClaimedInvoiceNeedsTheBuyersConfirmation) {
  ASSERT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kNone);
  ASSERT_EQ(Try(kCompany, Act(ReimburseAction::kSettle, No(1), kCompany)), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(20), No(1), 11300, "refund-9")}), Refusal::kNeedsBuyerConfirmation);
  ConfirmEvent req{{}, ConfirmAction::kRequest, "req-1", No(1), 11300, "02"};
  EXPECT_EQ(Try(kCompany, req), Refusal::kNotAuthorised);
  ConfirmEvent too_much = req;
  too_much.amount_fen = 11301;
  EXPECT_EQ(Try(kMerchant, too_much), Refusal::kReversesMoreThanRemains);
  EXPECT_EQ(Try(kMerchant, req), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, req), Refusal::kDuplicateId);
  // Not yet confirmed.
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(20), No(1), 11300, "refund-9", "req-1")}), Refusal::kNeedsBuyerConfirmation);
  ConfirmEvent accept{{}, ConfirmAction::kAccept, "req-1", "", 0, ""};
  EXPECT_EQ(Try(kCompany2, accept), Refusal::kNotAuthorised);
  EXPECT_EQ(Try(kMerchant, accept), Refusal::kNotAuthorised);
  EXPECT_EQ(Try(kCompany, ConfirmEvent{{}, ConfirmAction::kAccept, "req-x", "", 0, ""}), Refusal::kUnknownRequest);
  EXPECT_EQ(Try(kCompany, accept), Refusal::kNone);
  EXPECT_EQ(Try(kCompany, accept), Refusal::kRequestNotPending);
  // The amount must be the confirmed one.
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(20), No(1), 5000, "refund-9", "req-1")}), Refusal::kNeedsBuyerConfirmation);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(20), No(1), 11300, "refund-9", "req-1")}), Refusal::kNone);
  EXPECT_EQ(lc.FindConfirmation("req-1")->status, ConfirmationState::Status::kUsed);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(21), No(1), 0, "refund-10", "req-1")}), Refusal::kInvalid);
}

TEST_F(LifecycleTest, RefusedConfirmationBlocksTheReversal) {
  ASSERT_EQ(Try(kCompany, Claim(No(1), kCompany)), Refusal::kNone);
  ASSERT_EQ(Try(kMerchant, ConfirmEvent{{}, ConfirmAction::kRequest, "req-2", No(1), 100, "04"}), Refusal::kNone);
  ASSERT_EQ(Try(kCompany, ConfirmEvent{{}, ConfirmAction::kRefuse, "req-2", "", 0, ""}), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, IssueEvent{Red(No(22), No(1), 100, "refund-11", "req-2")}), Refusal::kNeedsBuyerConfirmation);
}

TEST(LifecycleTrace, PlacesHashesConflictsAndTheTrace) {
  Lifecycle lc;
  for (const auto& id : {kMerchant, kCompany, kCompany2})
    ASSERT_TRUE(lc.Apply(kAuth, RegisterEvent{{}, id, "Taxpayer " + id, kKey}).ok());
  ASSERT_TRUE(lc.Apply(kMerchant, ApplyEvent{{}, kMerchant, {26, 44, 1}, 10}).ok());
  const std::string leaf(64, 'c');
  ASSERT_TRUE(lc.Apply(kMerchant, IssueEvent{Blue(No(1), "", 5000, "pay-1")}, Place{3, 7, leaf, 1000}).ok());
  EXPECT_EQ(lc.FindInvoice(No(1))->issued.height, 3u);

  // Knowing the number is not enough: the claim must name the sealed invoice's leaf hash.
  Verdict v = lc.Apply(kCompany, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany, "Li Si", std::string(64, 'd')});
  EXPECT_EQ(v.refusal, Refusal::kNotGenuine);
  EXPECT_EQ(v.field, "invoice_hash");
  EXPECT_EQ(RefusalStatus(v.refusal), 422);
  ASSERT_TRUE(lc.Apply(kCompany, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany, "Li Si", leaf},
                       Place{5, 9, std::string(64, 'e'), 2000}).ok());
  // The loser learns the winner's block.
  v = lc.Apply(kCompany2, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany2, "Wang Wu", leaf}, Place{6, 10, "", 0});
  EXPECT_EQ(v.refusal, Refusal::kAlreadyLocked);
  EXPECT_EQ(v.conflict_height, 5u);
  ASSERT_TRUE(lc.Apply(kCompany, ReimburseEvent{{}, ReimburseAction::kSettle, No(1), kCompany, "", ""}, Place{6, 10, "", 0}).ok());
  v = lc.Apply(kCompany, ReimburseEvent{{}, ReimburseAction::kRelease, No(1), kCompany, "", ""});
  EXPECT_EQ(v.refusal, Refusal::kAlreadySettled);
  EXPECT_EQ(v.conflict_height, 5u);

  const auto& h = lc.FindInvoice(No(1))->history;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(StepName(h[0].kind), "issued");
  EXPECT_EQ(StepName(h[1].kind), "claimed");
  EXPECT_EQ(h[1].company, kCompany);
  EXPECT_EQ(h[1].employee, "Li Si");
  EXPECT_EQ(h[1].place.height, 5u);
  EXPECT_EQ(StepName(h[2].kind), "settled");
  EXPECT_EQ(h[2].place.height, 6u);

  // A replica folds what it may read without checking; grants are not its business.
  Lifecycle replica;
  replica.Record(kCompany, ReimburseEvent{{}, ReimburseAction::kClaim, No(1), kCompany, "Li Si", leaf}, Place{5, 9, "", 0});
  replica.Record(kCompany, ReimburseEvent{{}, ReimburseAction::kSettle, No(1), kCompany, "", ""}, Place{6, 10, "", 0});
  EXPECT_EQ(replica.FindInvoice(No(1))->reimbursement, Reimbursement::kSettled);
  EXPECT_EQ(replica.FindInvoice(No(1))->claimed.height, 5u);
  EXPECT_EQ(replica.FindInvoice(No(1))->history.size(), 2u);
}

TEST_F(LifecycleTest, FilingAndAmendments) {
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f1", kMerchant, "2026-13", "", {}}), Refusal::kInvalid);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f1", kMerchant, "2026-Q5", "", {}}), Refusal::kInvalid);
  EXPECT_EQ(Try(kMerchant2, FileEvent{{}, "f1", kMerchant, "2026-10", "", {}}), Refusal::kNotAuthorised);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f1", kMerchant, "2026-10", "f0", {}}), Refusal::kBadAmendment);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f1", kMerchant, "2026-10", "", {}}), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f2", kMerchant, "2026-10", "", {}}), Refusal::kAlreadyFiled);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f1", kMerchant, "2026-Q4", "", {}}), Refusal::kDuplicateId);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f2", kMerchant, "2026-10", "f1", {}}), Refusal::kNone);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f3", kMerchant, "2026-10", "f1", {}}), Refusal::kBadAmendment);
  EXPECT_EQ(Try(kMerchant, FileEvent{{}, "f3", kMerchant, "2026-Q4", "", {}}), Refusal::kNone);
}

TEST(Refusal, StatusesFollowTheContract) {
  EXPECT_EQ(RefusalStatus(Refusal::kWrongCompany), 403);
  EXPECT_EQ(RefusalStatus(Refusal::kAlreadySettled), 409);
  EXPECT_EQ(RefusalStatus(Refusal::kAlreadyLocked), 409);
  EXPECT_EQ(RefusalStatus(Refusal::kInvalid), 422);
  EXPECT_EQ(RefusalCode(Refusal::kNeedsBuyerConfirmation), "needs_buyer_confirmation");
}

TEST(Verdict, EveryRefusalCodeReadsBackAsItsRefusal) {
  std::set<std::string_view> codes;
  for (int i = 0; i <= static_cast<int>(Refusal::kNotFinal); ++i) {
    auto r = static_cast<Refusal>(i);
    EXPECT_EQ(RefusalFromCode(RefusalCode(r)), r) << RefusalCode(r);
    codes.insert(RefusalCode(r));
  }
  EXPECT_EQ(codes.size(), static_cast<size_t>(Refusal::kNotFinal) + 1);  // no two share a code
  EXPECT_EQ(RefusalFromCode("no_such_code"), std::nullopt);
}

}  // namespace
}  // namespace invoice
