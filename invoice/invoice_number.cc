#include "invoice/invoice_number.h"

#include <charconv>
#include <sstream>

namespace invoice {
namespace {

std::string Pad(uint64_t v, size_t width) {
  std::string s = std::to_string(v);
  return std::string(width > s.size() ? width - s.size() : 0, '0') + s;
}

bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string NumberPrefix::ToString() const { return Pad(year, 2) + Pad(region, 2) + Pad(channel, 1); }

std::string InvoiceNumber::ToString() const { return prefix.ToString() + Pad(sequence, 15); }

std::optional<InvoiceNumber> InvoiceNumber::Parse(std::string_view t) {
  uint64_t y, r, c, s;
  if (t.size() != 20 || !ParseDigits(t.substr(0, 2), &y) || !ParseDigits(t.substr(2, 2), &r) ||
      !ParseDigits(t.substr(4, 1), &c) || !ParseDigits(t.substr(5), &s))
    return std::nullopt;
  return InvoiceNumber{{static_cast<int>(y), static_cast<int>(r), static_cast<int>(c)}, s};
}

bool NumberAllocator::Grant(const NumberRange& range) {
  if (range.count == 0) return false;
  for (const NumberRange& r : ranges_)
    if (r.Overlaps(range)) return false;
  ranges_.push_back(range);
  return true;
}

NumberAllocator::Lease NumberAllocator::Take(size_t n) {
  Lease lease;
  while (lease.numbers.size() < n && current_ < ranges_.size()) {
    const NumberRange& r = ranges_[current_];
    if (used_in_current_ >= r.count) {
      ++current_;
      used_in_current_ = 0;
      continue;
    }
    lease.numbers.push_back(InvoiceNumber{r.prefix, r.first + used_in_current_});
    ++used_in_current_;
  }
  return lease;
}

uint64_t NumberAllocator::Remaining() const {
  uint64_t left = 0;
  for (size_t i = current_; i < ranges_.size(); ++i) left += ranges_[i].count - (i == current_ ? used_in_current_ : 0);
  return left;
}

// "v1 CURRENT USED; PREFIX FIRST COUNT; ..."
std::string NumberAllocator::State() const {
  std::ostringstream out;
  out << "v1 " << current_ << " " << used_in_current_;
  for (const NumberRange& r : ranges_) out << "; " << r.prefix.ToString() << " " << r.first << " " << r.count;
  return out.str();
}

std::optional<NumberAllocator> NumberAllocator::FromState(std::string_view state) {
  std::istringstream in{std::string(state)};
  std::string v, prefix;
  NumberAllocator a;
  char sep;
  if (!(in >> v >> a.current_ >> a.used_in_current_) || v != "v1") return std::nullopt;
  while (in >> sep) {
    NumberRange r;
    if (sep != ';' || !(in >> prefix >> r.first >> r.count)) return std::nullopt;
    auto n = InvoiceNumber::Parse(prefix + std::string(15, '0'));
    if (!n || r.count == 0 || r.first > kMaxSequence || r.count - 1 > kMaxSequence - r.first) return std::nullopt;
    r.prefix = n->prefix;
    a.ranges_.push_back(r);
  }
  if (a.current_ > a.ranges_.size() || (a.current_ < a.ranges_.size() && a.used_in_current_ > a.ranges_[a.current_].count))
    return std::nullopt;
  return a;
}

}  // namespace invoice
