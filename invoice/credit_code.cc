#include "invoice/credit_code.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace invoice {

extern const std::string_view kGb2260RegionsTsv;  // gb2260_regions.cc, from data/

namespace {

// GB 32100-2015 §4.2: digits and upper-case letters without I, O, Z, S, V.
constexpr std::string_view kCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

// GB 32100-2015 table 1 and the codes assigned since: each registration authority (1st
// character) with the kinds of organisation it registers (2nd character).
// 1 机构编制 (1 机关, 2 事业单位, 3 群众团体, 9 其他); 2 外交 (1 外国常驻新闻机构, 9);
// 3 司法行政 (1 律师执业机构, 2 公证处, 3 基层法律服务所, 4 司法鉴定机构, 5 仲裁委员会, 9);
// 4 文化 (1 外国在华文化中心, 9); 5 民政 (1 社会团体, 2 民办非企业单位, 3 基金会, 9);
// 6 旅游 (1, 2 外国/港澳台旅游部门常驻代表机构, 9); 7 宗教 (1 活动场所, 2 院校, 9);
// 8 工会 (1 基层工会, 9); 9 工商/市场监管 (1 企业, 2 个体工商户, 3 农民专业合作社);
// A 中央军委改革和编制办公室 (1 军队事业单位, 9); N 农业 (1 组级, 2 村级, 3 乡镇级集体经济组织, 9);
// Y 其他 (1).
constexpr std::pair<char, std::string_view> kAuthorities[] = {
    {'1', "1239"}, {'2', "19"},  {'3', "123459"}, {'4', "19"},   {'5', "1239"}, {'6', "129"},
    {'7', "129"},  {'8', "19"},  {'9', "123"},    {'A', "19"},   {'N', "1239"}, {'Y', "1"},
};

int ValueOf(char c) {
  size_t p = kCharset.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

std::string_view KindsOf(char authority) {
  for (const auto& [a, kinds] : kAuthorities)
    if (a == authority) return kinds;
  return {};
}

using Regions = std::vector<std::pair<std::string_view, std::string_view>>;  // sorted by code

Regions ParseRegions() {
  Regions out;
  std::string_view rest = kGb2260RegionsTsv;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Regions& AllRegions() {
  static const Regions regions = ParseRegions();
  return regions;
}

}  // namespace

std::optional<std::string_view> RegionName(std::string_view six_digits) {
  const Regions& r = AllRegions();
  auto it = std::lower_bound(r.begin(), r.end(), six_digits,
                             [](const auto& entry, std::string_view code) { return entry.first < code; });
  if (it == r.end() || it->first != six_digits) return std::nullopt;
  return it->second;
}

char CreditCodeCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += ValueOf(first17[i]) * kWeights[i];
  int c = 31 - sum % 31;
  return kCharset[c == 31 ? 0 : c];
}

CreditCodeError CheckCreditCode(std::string_view code) {
  if (code.size() != 18) return CreditCodeError::kLength;
  for (char c : code)
    if (ValueOf(c) < 0) return CreditCodeError::kCharset;
  std::string_view kinds = KindsOf(code[0]);
  if (kinds.empty()) return CreditCodeError::kAuthority;
  if (kinds.find(code[1]) == std::string_view::npos) return CreditCodeError::kKind;
  if (!RegionName(code.substr(2, 6))) return CreditCodeError::kRegion;
  if (CreditCodeCheckChar(code.substr(0, 17)) != code[17]) return CreditCodeError::kCheckCharacter;
  return CreditCodeError::kOk;
}

std::string_view CreditCodeErrorName(CreditCodeError e) {
  switch (e) {
    case CreditCodeError::kOk: return "ok";
    case CreditCodeError::kLength: return "length";
    case CreditCodeError::kCharset: return "charset";
    case CreditCodeError::kAuthority: return "authority";
    case CreditCodeError::kKind: return "kind";
    case CreditCodeError::kRegion: return "region";
    case CreditCodeError::kCheckCharacter: return "check_character";
  }
  return "invalid";
}

std::string DescribeCreditCodeError(CreditCodeError e) {
  switch (e) {
    case CreditCodeError::kOk: return "valid";
    case CreditCodeError::kLength: return "a unified social credit code has 18 characters";
    case CreditCodeError::kCharset: return "a unified social credit code uses 0-9 and A-Y without I, O, S, V, Z";
    case CreditCodeError::kAuthority:
      return "the 1st character of a unified social credit code names the registration authority "
             "(1-9, A, N or Y in GB 32100)";
    case CreditCodeError::kKind:
      return "the 2nd character of a unified social credit code, the kind of organisation, is not one its "
             "registration authority (1st character) registers";
    case CreditCodeError::kRegion:
      return "characters 3 to 8 of a unified social credit code are not a GB/T 2260 region code";
    case CreditCodeError::kCheckCharacter: return "the check character (18th) of the unified social credit code is wrong";
  }
  return "invalid";
}

}  // namespace invoice
