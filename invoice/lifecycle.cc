#include "invoice/lifecycle.h"

#include "invoice/credit_code.h"

namespace invoice {
namespace {

Verdict Refuse(Refusal r, std::string message, std::string field = "") {
  return Verdict{r, std::move(message), std::move(field), std::nullopt};
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

const std::vector<NumberRange> kNoRanges;

}  // namespace

const InvoiceState* Lifecycle::FindInvoice(const std::string& no) const {
  auto it = invoices_.find(no);
  if (it != invoices_.end()) return &it->second;
  if (!store_) return nullptr;
  std::optional<InvoiceState> saved = store_->Load(no);
  if (!saved) return nullptr;
  return &invoices_.emplace(no, std::move(*saved)).first->second;
}

InvoiceState& Lifecycle::Touch(const std::string& no) {
  if (store_) {
    FindInvoice(no);
    changed_invoices_.insert(no);
  }
  return invoices_[no];
}

bool Lifecycle::IsPaid(const std::string& seller, const std::string& key) const {
  return paid_.count({seller, key}) > 0 || (store_ && store_->HasPayment(seller, key));
}

void Lifecycle::ForEachInvoice(const InvoiceFilter& filter, const InvoiceVisitor& f) const {
  if (!store_) {
    for (const auto& [no, st] : invoices_)
      if (filter.Matches(st.invoice)) f(no, st);
    return;
  }
  store_->ForEach(filter, [&](const std::string& no, const InvoiceState& st) {
    if (!changed_invoices_.count(no)) f(no, st);
  });
  for (const std::string& no : changed_invoices_) {
    const InvoiceState& st = invoices_.at(no);
    if (filter.Matches(st.invoice)) f(no, st);
  }
}

LifecycleChanges Lifecycle::PendingChanges() const {
  LifecycleChanges c;
  for (const std::string& no : changed_invoices_) c.invoices.emplace_back(no, &invoices_.at(no));
  c.payments.assign(paid_.begin(), paid_.end());
  for (const std::string& id : changed_taxpayers_) c.taxpayers.push_back(&taxpayers_.at(id));
  c.grants = new_grants_;
  for (const std::string& id : changed_confirmations_) c.confirmations.push_back(&confirmations_.at(id));
  for (const std::string& id : changed_filings_) c.filings.push_back(&filings_.at(id));
  return c;
}

void Lifecycle::MarkSaved() {
  if (!store_) return;
  changed_invoices_.clear();
  paid_.clear();
  changed_taxpayers_.clear();
  new_grants_.clear();
  changed_confirmations_.clear();
  changed_filings_.clear();
}

void Lifecycle::Trim() {
  if (!store_) return;
  for (auto it = invoices_.begin(); it != invoices_.end();)
    it = changed_invoices_.count(it->first) ? std::next(it) : invoices_.erase(it);
}

void Lifecycle::AddGrant(const Grant& g) {
  ranges_[g.seller].push_back(g.range);
  grants_[{g.seller, g.event_id}] = g.range;
  uint64_t& next = next_free_[g.range.prefix];
  next = std::max(next, g.range.first + g.range.count);
}

void Lifecycle::Restore(std::vector<RegisterEvent> taxpayers, std::vector<Grant> grants,
                        std::vector<ConfirmationState> confirmations, std::vector<FilingState> filings) {
  for (RegisterEvent& r : taxpayers) {
    std::string id = r.tax_id;
    taxpayers_[id] = std::move(r);
  }
  for (const Grant& g : grants) AddGrant(g);
  for (ConfirmationState& c : confirmations) {
    std::string id = c.request.request_id;
    confirmations_[id] = std::move(c);
  }
  for (FilingState& f : filings) {
    std::string id = f.event.filing_id;
    if (f.amended_by.empty()) latest_filing_[{f.event.seller, f.event.period}] = id;
    filings_[id] = std::move(f);
  }
}

const ConfirmationState* Lifecycle::FindConfirmation(const std::string& id) const {
  auto it = confirmations_.find(id);
  return it == confirmations_.end() ? nullptr : &it->second;
}

const std::vector<NumberRange>& Lifecycle::RangesOf(const std::string& seller) const {
  auto it = ranges_.find(seller);
  return it == ranges_.end() ? kNoRanges : it->second;
}

std::optional<NumberRange> Lifecycle::GrantOf(const std::string& seller, const std::string& event_id) const {
  auto it = grants_.find({seller, event_id});
  if (it == grants_.end()) return std::nullopt;
  return it->second;
}

Verdict Lifecycle::Check(const std::string& submitter, const Event& e) const {
  NumberRange grant;
  return CheckEvent(submitter, e, &grant);
}

Verdict Lifecycle::Apply(const std::string& submitter, const Event& e, const Place& place) {
  NumberRange grant;
  Verdict v = CheckEvent(submitter, e, &grant);
  if (v.ok()) Commit(submitter, e, grant, place);
  return v;
}

void Lifecycle::Record(const std::string& submitter, const Event& e, const Place& place) {
  if (std::holds_alternative<ApplyEvent>(e)) return;
  Commit(submitter, e, NumberRange{}, place);
}

Verdict Lifecycle::CheckEvent(const std::string& submitter, const Event& e, NumberRange* grant) const {
  if (auto* r = std::get_if<RegisterEvent>(&e)) {
    if (submitter != kAuthoritySubmitter) return Refuse(Refusal::kNotAuthorised, "only the authority registers taxpayers");
    if (!IsValidCreditCode(r->tax_id))
      return Refuse(Refusal::kInvalid, DescribeCreditCodeError(CheckCreditCode(r->tax_id)), "tax_id");
    if (r->name.empty()) return Refuse(Refusal::kInvalid, "a taxpayer has a name", "name");
    // An Ed25519 key (64 hex digits) or an SM2 point (130, 04...); the ledger holds it to the chain's suite.
    if ((r->node_key.size() != 64 && !(r->node_key.size() == 130 && r->node_key.rfind("04", 0) == 0)) ||
        r->node_key.find_first_not_of("0123456789abcdef") != std::string::npos)
      return Refuse(Refusal::kInvalid, "node_key is 64 (Ed25519) or 130 (SM2) lower-case hex digits", "node_key");
    if (taxpayers_.count(r->tax_id)) return Refuse(Refusal::kAlreadyRegistered, r->tax_id + " is already registered", "tax_id");
    return {};
  }
  if (auto* a = std::get_if<ApplyEvent>(&e)) {
    if (!taxpayers_.count(a->seller)) return Refuse(Refusal::kUnknownTaxpayer, a->seller + " is not registered", "seller");
    if (submitter != a->seller) return Refuse(Refusal::kNotAuthorised, "a merchant applies only for itself", "seller");
    const NumberPrefix& p = a->prefix;
    if (p.year < 0 || p.year > 99 || p.region < 0 || p.region > 99 || p.channel < 0 || p.channel > 9)
      return Refuse(Refusal::kInvalid, "prefix is year 00-99, region 00-99, channel 0-9", "prefix");
    if (a->count == 0 || a->count > max_apply_count_)
      return Refuse(Refusal::kInvalid, "count is 1.." + std::to_string(max_apply_count_), "count");
    auto it = next_free_.find(p);
    uint64_t first = it == next_free_.end() ? 1 : it->second;  // sequence 0 is never issued
    if (first > kMaxSequence || kMaxSequence - first + 1 < a->count)
      return Refuse(Refusal::kRangeExhausted, "no numbers left under prefix " + p.ToString(), "count");
    *grant = NumberRange{p, first, a->count};
    Verdict v;
    v.granted = *grant;
    return v;
  }
  if (auto* i = std::get_if<IssueEvent>(&e)) return CheckIssue(submitter, i->invoice);
  if (auto* r = std::get_if<ReimburseEvent>(&e)) return CheckReimburse(submitter, *r);
  if (auto* c = std::get_if<ConfirmEvent>(&e)) return CheckConfirm(submitter, *c);
  return CheckFile(submitter, std::get<FileEvent>(e));
}

Verdict Lifecycle::CheckIssue(const std::string& submitter, const Invoice& inv) const {
  if (auto p = Validate(inv)) return Refuse(Refusal::kInvalid, p->message, p->field);
  if (!taxpayers_.count(inv.seller.tax_id))
    return Refuse(Refusal::kUnknownTaxpayer, inv.seller.tax_id + " is not registered", "seller.tax_id");
  if (submitter != inv.seller.tax_id) return Refuse(Refusal::kNotAuthorised, "a merchant issues only its own invoices");
  if (FindInvoice(inv.invoice_no)) return Refuse(Refusal::kNumberUsed, inv.invoice_no + " is already used", "invoice_no");
  InvoiceNumber no = *InvoiceNumber::Parse(inv.invoice_no);
  bool granted = false;
  for (const NumberRange& r : RangesOf(inv.seller.tax_id)) granted = granted || r.Contains(no);
  if (!granted)
    return Refuse(Refusal::kOutsideGrantedRange, inv.invoice_no + " is outside the ranges granted to the seller", "invoice_no");
  std::string pay_key = std::string(ColorName(inv.color)) + ":" + inv.payment_id;
  if (IsPaid(inv.seller.tax_id, pay_key))
    return Refuse(Refusal::kPaymentAlreadyInvoiced, "payment " + inv.payment_id + " already has an invoice", "payment_id");
  if (inv.color == Color::kBlue) return {};

  const InvoiceState* orig = FindInvoice(inv.original_no);
  if (!orig) return Refuse(Refusal::kUnknownInvoice, inv.original_no + " does not exist", "original_no");
  if (orig->invoice.color != Color::kBlue) return Refuse(Refusal::kNotBlue, "only a blue invoice can be reversed", "original_no");
  if (orig->invoice.seller.tax_id != inv.seller.tax_id)
    return Refuse(Refusal::kNotAuthorised, "only the seller reverses its invoice", "original_no");
  if (-inv.TotalFen() > orig->remaining_fen)
    return Refuse(Refusal::kReversesMoreThanRemains,
                  "the red invoice reverses " + FormatYuan(-inv.TotalFen()) + " but only " +
                      FormatYuan(orig->remaining_fen) + " remains",
                  "items");
  if (orig->reimbursement != Reimbursement::kNone) {
    const ConfirmationState* c = FindConfirmation(inv.confirmation_id);
    if (!c || c->status != ConfirmationState::Status::kAccepted || c->request.invoice_no != inv.original_no ||
        c->request.amount_fen != -inv.TotalFen())
      return Refuse(Refusal::kNeedsBuyerConfirmation,
                    "the original is " + std::string(ReimbursementName(orig->reimbursement)) +
                        " for reimbursement: the buyer company must confirm this reversal first",
                    "confirmation_id");
  }
  return {};
}

Verdict Lifecycle::CheckReimburse(const std::string& submitter, const ReimburseEvent& e) const {
  if (!taxpayers_.count(e.company)) return Refuse(Refusal::kUnknownTaxpayer, e.company + " is not registered", "company");
  if (submitter != e.company) return Refuse(Refusal::kNotAuthorised, "a company acts only on its own claims", "company");
  const InvoiceState* s = FindInvoice(e.invoice_no);
  if (!s) return Refuse(Refusal::kUnknownInvoice, e.invoice_no + " does not exist", "invoice_no");
  if (s->invoice.color != Color::kBlue) return Refuse(Refusal::kNotBlue, "a red invoice cannot be reimbursed", "invoice_no");
  auto conflict = [&](Refusal r, const std::string& what) {
    Verdict v = Refuse(r, what + " (claim sealed at block " + std::to_string(s->claimed.height) + ")", "invoice_no");
    v.conflict_height = s->claimed.height;
    return v;
  };
  switch (e.action) {
    case ReimburseAction::kClaim:
      if (e.employee.empty()) return Refuse(Refusal::kInvalid, "a claim names the employee", "employee");
      if (e.invoice_hash.size() != 64 || e.invoice_hash.find_first_not_of("0123456789abcdef") != std::string::npos)
        return Refuse(Refusal::kInvalid, "a claim names the invoice's leaf hash (64 lower-case hex digits)", "invoice_hash");
      if (!s->issued.leaf_hash.empty() && e.invoice_hash != s->issued.leaf_hash)
        return Refuse(Refusal::kNotGenuine, "the invoice hash does not match the invoice sealed under this number",
                      "invoice_hash");
      if (!s->invoice.buyer.tax_id.empty() && s->invoice.buyer.tax_id != e.company)
        return Refuse(Refusal::kWrongCompany, "the invoice was issued to another company", "invoice_no");
      if (s->reimbursement == Reimbursement::kSettled)
        return conflict(Refusal::kAlreadySettled, "the invoice was already reimbursed");
      if (s->reimbursement == Reimbursement::kLocked) return conflict(Refusal::kAlreadyLocked, "the invoice is already claimed");
      if (s->remaining_fen == 0) return Refuse(Refusal::kFullyReversed, "the invoice was fully reversed", "invoice_no");
      return {};
    case ReimburseAction::kSettle:
    case ReimburseAction::kRelease:
      if (s->reimbursement == Reimbursement::kNone)
        return Refuse(Refusal::kNotLocked, "the invoice is not claimed", "invoice_no");
      if (s->claimant != e.company) return Refuse(Refusal::kNotClaimant, "another company holds the claim", "invoice_no");
      if (s->reimbursement == Reimbursement::kSettled)
        return conflict(Refusal::kAlreadySettled, "the reimbursement is settled and final");
      return {};
  }
  return {};
}

Verdict Lifecycle::CheckConfirm(const std::string& submitter, const ConfirmEvent& e) const {
  if (!ValidId(e.request_id)) return Refuse(Refusal::kInvalid, "request_id is 1..64 of [A-Za-z0-9._-]", "request_id");
  if (e.action == ConfirmAction::kRequest) {
    if (confirmations_.count(e.request_id)) return Refuse(Refusal::kDuplicateId, "request_id already used", "request_id");
    const InvoiceState* s = FindInvoice(e.invoice_no);
    if (!s) return Refuse(Refusal::kUnknownInvoice, e.invoice_no + " does not exist", "invoice_no");
    if (s->invoice.color != Color::kBlue) return Refuse(Refusal::kNotBlue, "only a blue invoice can be reversed", "invoice_no");
    if (submitter != s->invoice.seller.tax_id)
      return Refuse(Refusal::kNotAuthorised, "only the seller requests a red-letter confirmation");
    if (!IsRedReason(e.reason)) return Refuse(Refusal::kInvalid, "the reason is 01, 02, 03 or 04", "reason");
    if (e.amount_fen <= 0) return Refuse(Refusal::kInvalid, "amount_fen is positive", "amount_fen");
    if (e.amount_fen > s->remaining_fen)
      return Refuse(Refusal::kReversesMoreThanRemains, "more than the invoice's remaining amount", "amount_fen");
    if (s->reimbursement == Reimbursement::kNone && s->invoice.buyer.tax_id.empty())
      return Refuse(Refusal::kInvalid, "no company holds this invoice: reverse it directly", "invoice_no");
    return {};
  }
  const ConfirmationState* c = FindConfirmation(e.request_id);
  if (!c) return Refuse(Refusal::kUnknownRequest, "no such confirmation request", "request_id");
  if (submitter != c->company) return Refuse(Refusal::kNotAuthorised, "only the buyer company answers the request");
  if (c->status != ConfirmationState::Status::kPending)
    return Refuse(Refusal::kRequestNotPending, "the request was already answered", "request_id");
  return {};
}

Verdict Lifecycle::CheckFile(const std::string& submitter, const FileEvent& e) const {
  if (!taxpayers_.count(e.seller)) return Refuse(Refusal::kUnknownTaxpayer, e.seller + " is not registered", "seller");
  if (submitter != e.seller) return Refuse(Refusal::kNotAuthorised, "a merchant files only its own return", "seller");
  if (!ValidId(e.filing_id)) return Refuse(Refusal::kInvalid, "filing_id is 1..64 of [A-Za-z0-9._-]", "filing_id");
  if (!ValidPeriod(e.period)) return Refuse(Refusal::kInvalid, "period is YYYY-MM or YYYY-Qn", "period");
  if (filings_.count(e.filing_id)) return Refuse(Refusal::kDuplicateId, "filing_id already used", "filing_id");
  auto latest = latest_filing_.find({e.seller, e.period});
  if (latest == latest_filing_.end()) {
    if (!e.amends.empty()) return Refuse(Refusal::kBadAmendment, "there is no earlier filing to amend", "amends");
    return {};
  }
  if (e.amends.empty())
    return Refuse(Refusal::kAlreadyFiled, "the period is filed; a new filing must amend " + latest->second, "amends");
  if (e.amends != latest->second)
    return Refuse(Refusal::kBadAmendment, "an amendment replaces the latest filing, " + latest->second, "amends");
  return {};
}

void Lifecycle::Commit(const std::string& submitter, const Event& e, const NumberRange& grant, const Place& place) {
  if (auto* r = std::get_if<RegisterEvent>(&e)) {
    taxpayers_[r->tax_id] = *r;
    if (store_) changed_taxpayers_.insert(r->tax_id);
  } else if (auto* a = std::get_if<ApplyEvent>(&e)) {
    Grant g{a->seller, a->meta.event_id, grant};
    AddGrant(g);
    if (store_) new_grants_.push_back(std::move(g));
  } else if (auto* i = std::get_if<IssueEvent>(&e)) {
    const Invoice& inv = i->invoice;
    paid_.insert({inv.seller.tax_id, std::string(ColorName(inv.color)) + ":" + inv.payment_id});
    InvoiceState& s = Touch(inv.invoice_no);
    s.invoice = inv;
    s.issued = place;
    s.remaining_fen = inv.color == Color::kBlue ? inv.TotalFen() : 0;
    s.history.push_back({Step::Kind::kIssued, "", "", "", inv.TotalFen(), place});
    if (inv.color == Color::kRed) {
      InvoiceState& orig = Touch(inv.original_no);
      orig.remaining_fen += inv.TotalFen();
      orig.reversals.push_back(inv.invoice_no);
      orig.history.push_back({Step::Kind::kReversed, "", "", inv.invoice_no, -inv.TotalFen(), place});
      if (!inv.confirmation_id.empty() && confirmations_.count(inv.confirmation_id)) {
        ConfirmationState& c = confirmations_[inv.confirmation_id];
        if (store_) changed_confirmations_.insert(inv.confirmation_id);
        c.status = ConfirmationState::Status::kUsed;
        c.red_invoice_no = inv.invoice_no;
      }
    }
  } else if (auto* r = std::get_if<ReimburseEvent>(&e)) {
    InvoiceState& s = Touch(r->invoice_no);
    switch (r->action) {
      case ReimburseAction::kClaim:
        s.reimbursement = Reimbursement::kLocked;
        s.claimant = r->company;
        s.employee = r->employee;
        s.claimed = place;
        s.history.push_back({Step::Kind::kClaimed, r->company, r->employee, "", 0, place});
        break;
      case ReimburseAction::kSettle:
        s.reimbursement = Reimbursement::kSettled;
        s.history.push_back({Step::Kind::kSettled, r->company, s.employee, "", 0, place});
        break;
      case ReimburseAction::kRelease:
        s.history.push_back({Step::Kind::kReleased, r->company, s.employee, "", 0, place});
        s.reimbursement = Reimbursement::kNone;
        s.claimant.clear();
        s.employee.clear();
        s.claimed = {};
        break;
    }
  } else if (auto* c = std::get_if<ConfirmEvent>(&e)) {
    if (c->action == ConfirmAction::kRequest) {
      InvoiceState& s = Touch(c->invoice_no);
      ConfirmationState st;
      st.request = *c;
      st.seller = submitter;
      st.company = !s.claimant.empty() ? s.claimant : s.invoice.buyer.tax_id;
      st.requested = place;
      confirmations_[c->request_id] = st;
      if (store_) changed_confirmations_.insert(c->request_id);
      s.history.push_back({Step::Kind::kConfirmationRequested, st.company, "", c->request_id, c->amount_fen, place});
    } else {
      ConfirmationState& st = confirmations_[c->request_id];
      if (store_) changed_confirmations_.insert(c->request_id);
      bool accept = c->action == ConfirmAction::kAccept;
      st.status = accept ? ConfirmationState::Status::kAccepted : ConfirmationState::Status::kRefused;
      st.answered = place;
      if (!st.request.invoice_no.empty())
        Touch(st.request.invoice_no).history.push_back(
            {accept ? Step::Kind::kConfirmationAccepted : Step::Kind::kConfirmationRefused, submitter, "", c->request_id,
             st.request.amount_fen, place});
    }
  } else if (auto* f = std::get_if<FileEvent>(&e)) {
    filings_[f->filing_id] = FilingState{*f, place, ""};
    if (store_) changed_filings_.insert(f->filing_id);
    if (!f->amends.empty() && filings_.count(f->amends)) {
      filings_[f->amends].amended_by = f->filing_id;
      if (store_) changed_filings_.insert(f->amends);
    }
    latest_filing_[{f->seller, f->period}] = f->filing_id;
  }
}

}  // namespace invoice
