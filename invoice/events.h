// The lifecycle's vocabulary: the events on the chain, as the submitters state them
// (invoice/README.md "Event payloads" gives their canonical XML, invoice/event_codec.h the codec).
// Pure values.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "invoice/invoice.h"
#include "invoice/invoice_number.h"
#include "invoice/money.h"

namespace invoice {

inline constexpr std::string_view kAuthoritySubmitter = "authority";

// Every event but issue carries a submitter-chosen id and time, so that two events with the
// same content (a claim, its release, the same claim again) are different entries on the
// chain. An issue event is unique by its invoice number.
struct EventMeta {
  std::string event_id;  // 1..64 of [A-Za-z0-9._-]
  uint64_t time_ms = 0;  // the submitter's clock, Unix ms
  bool operator==(const EventMeta&) const = default;
};

struct RegisterEvent {
  EventMeta meta;
  std::string tax_id;
  std::string name;
  std::string node_key;  // the node's Ed25519 public key, 64 hex digits
};

struct ApplyEvent {
  EventMeta meta;
  std::string seller;
  NumberPrefix prefix;
  uint64_t count = 0;  // numbers wanted; the grant is the next free range under the prefix
};

struct IssueEvent {
  Invoice invoice;
};

enum class ReimburseAction { kClaim, kSettle, kRelease };
struct ReimburseEvent {
  EventMeta meta;
  ReimburseAction action = ReimburseAction::kClaim;
  std::string invoice_no;
  std::string company;   // the claiming company's tax id
  std::string employee;  // who claims (claim only)
  // Claim only: the leaf hash (64 hex) of the invoice's issue entry. Only someone who holds
  // the invoice (its QR code) knows it, so guessing invoice numbers claims nothing.
  std::string invoice_hash;
};

enum class ConfirmAction { kRequest, kAccept, kRefuse };
struct ConfirmEvent {
  EventMeta meta;
  ConfirmAction action = ConfirmAction::kRequest;
  std::string request_id;  // chosen by the seller, unique network-wide
  std::string invoice_no;  // the blue invoice to reverse
  Fen amount_fen = 0;      // how much of it (positive), request only
  std::string reason;      // 01..04, request only
};

// A VAT return's figures, as filed (and as recomputed from the chain): per rate the net and
// output tax of the blue invoices and the red-letter deductions, the invoices covered and
// the hash of their set. Computed by tax::ComputeReturn.
struct RateFiling {
  TaxRate rate = *TaxRate::FromPercent(0);
  Fen net_fen = 0, tax_fen = 0;          // blue invoices
  Fen red_net_fen = 0, red_tax_fen = 0;  // red invoices (zero or negative)
  bool operator==(const RateFiling&) const = default;
};
struct FilingFigures {
  std::vector<RateFiling> rates;  // each rate that occurs, highest first
  uint64_t invoice_count = 0;     // blue invoices
  uint64_t red_count = 0;
  std::string first_no, last_no;  // lowest and highest number covered (blue or red)
  std::string set_hash;           // hex SHA-256 of the covered invoices' leaf hashes, sorted, concatenated
  Fen NetFen() const;             // payable base: blue plus red
  Fen TaxFen() const;             // payable output tax: blue plus red
  bool operator==(const FilingFigures&) const = default;
};

struct FileEvent {
  EventMeta meta;
  std::string filing_id;  // chosen by the merchant, unique network-wide
  std::string seller;
  std::string period;     // "2026-10" or "2026-Q4"
  std::string amends;     // the filing it replaces, for a second filing of a period
  FilingFigures figures;
};
bool ValidPeriod(const std::string& period);  // "YYYY-MM" (01..12) or "YYYY-Qn" (1..4)

using Event = std::variant<RegisterEvent, ApplyEvent, IssueEvent, ReimburseEvent, ConfirmEvent, FileEvent>;

}  // namespace invoice
