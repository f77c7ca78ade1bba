// Invoice numbers as in China's fully digitalised e-invoice: 20 digits = year (2) + region
// (2) + channel (1) + sequence (15). A merchant issues only inside ranges the authority
// granted it; the allocator below never hands out a number twice, even across restarts,
// provided the caller persists its state as each lease says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace invoice {

inline constexpr uint64_t kMaxSequence = 999'999'999'999'999;  // 15 digits

struct NumberPrefix {
  int year = 0;     // 0..99 (two digits of the year)
  int region = 0;   // 0..99
  int channel = 0;  // 0..9
  auto operator<=>(const NumberPrefix&) const = default;
  std::string ToString() const;  // 5 digits
};

struct InvoiceNumber {
  NumberPrefix prefix;
  uint64_t sequence = 0;  // 0..kMaxSequence
  std::string ToString() const;  // 20 digits
  static std::optional<InvoiceNumber> Parse(std::string_view text);
  auto operator<=>(const InvoiceNumber&) const = default;
};

// Sequences [first, first + count) under one prefix.
struct NumberRange {
  NumberPrefix prefix;
  uint64_t first = 0;
  uint64_t count = 0;
  bool Contains(const InvoiceNumber& n) const {
    return n.prefix == prefix && n.sequence >= first && n.sequence - first < count;
  }
  bool Overlaps(const NumberRange& o) const {
    return prefix == o.prefix && first < o.first + o.count && o.first < first + count;
  }
  bool operator==(const NumberRange&) const = default;
};

// Hands out numbers from granted ranges in order. To survive restarts without reuse, the
// caller persists State() before it uses any number of a lease (e.g. in the same database
// transaction that records the invoices); after a crash, unused numbers of a persisted
// lease are skipped, never reused. Not thread-safe.
class NumberAllocator {
 public:
  struct Lease {
    std::vector<InvoiceNumber> numbers;
  };

  // Adds a range the authority sealed for this merchant; false (and nothing changes) if it
  // overlaps a range already held, e.g. the same grant reported twice.
  bool Grant(const NumberRange& range);
  // Up to `n` fresh numbers; fewer (maybe none) when the granted ranges run out.
  Lease Take(size_t n);
  uint64_t Remaining() const;

  // The whole state as one line of text, and back (nullopt if malformed).
  std::string State() const;
  static std::optional<NumberAllocator> FromState(std::string_view state);

 private:
  std::vector<NumberRange> ranges_;  // in grant order
  size_t current_ = 0;               // index of the range being used
  uint64_t used_in_current_ = 0;     // numbers taken from ranges_[current_]
};

}  // namespace invoice
