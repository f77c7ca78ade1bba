// The message catalog is complete: both languages have the same keys, every `{{t.key}}` of
// every template and every literal key the code asks for exists, the keys the code builds
// from a value exist for each value, and no template holds text a person reads outside the
// catalog. (The browser tests then load every page in both languages.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "app/http/catalog.h"
#include "app/http/tokens.h"
#include "invoice/credit_code.h"
#include "invoice/lifecycle_state.h"

namespace app {
namespace {

namespace fs = std::filesystem;
const std::string kSource = EINVOICE_SOURCE_DIR;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> FilesUnder(const std::string& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  return out;
}

Catalog Load() { return Catalog(kSource + "/ui-templates/messages"); }

TEST(Catalog, BothLanguagesLoadWithTheSameKeys) {
  Catalog c = Load();  // throws naming a key that one language lacks
  ASSERT_EQ(c.languages(), (std::vector<std::string>{"zh-CN", "en"}));
  EXPECT_EQ(c.Texts("zh-CN").size(), c.Texts("en").size());
  EXPECT_GT(c.Texts("zh-CN").size(), 100u);
  for (const auto& [key, text] : c.Texts("zh-CN")) EXPECT_FALSE(text.empty()) << key;
  for (const auto& [key, text] : c.Texts("en")) EXPECT_FALSE(text.empty()) << key;
}

TEST(Catalog, EveryTemplateKeyExists) {
  Catalog c = Load();
  const std::regex use(R"(\{\{[#^/]?\s*t\.([A-Za-z0-9_.]+)\s*\}\})");
  int uses = 0;
  for (const fs::path& f : FilesUnder(kSource + "/ui-templates", ".mustache")) {
    std::string text = Read(f);
    for (std::sregex_iterator it(text.begin(), text.end(), use), end; it != end; ++it, ++uses)
      EXPECT_TRUE(c.Has((*it)[1].str())) << f.filename() << ": {{t." << (*it)[1] << "}} is not in the catalog";
  }
  EXPECT_GT(uses, 50);
}

// Text a person reads that is not from the catalog: any letter (Latin or CJK) left once the
// markup, scripts, styles, entities and mustache tags are taken out, or in an attribute a
// person reads.
TEST(Catalog, NoTemplateHoldsTextOutsideTheCatalog) {
  const std::regex blocks(R"(<(script|style)[\s\S]*?</\1>)", std::regex::icase);
  const std::regex mustache(R"(\{\{\{?[\s\S]*?\}?\}\})");
  const std::regex read_attribute(R"re(\b(placeholder|title|aria-label|alt|data-confirm|label)="([^"]*)")re");
  const std::regex tags(R"(<[^>]*>)");
  const std::regex entities(R"(&[A-Za-z]+;|&#[0-9]+;)");
  const std::regex letters(R"([A-Za-z]|\xE3[\x80-\xBF][\x80-\xBF]|[\xE4-\xE9][\x80-\xBF][\x80-\xBF]|\xEF[\xBC-\xBF][\x80-\xBF])");
  for (const fs::path& f : FilesUnder(kSource + "/ui-templates", ".mustache")) {
    std::string text = std::regex_replace(Read(f), blocks, " ");
    text = std::regex_replace(text, mustache, " ");
    for (std::sregex_iterator it(text.begin(), text.end(), read_attribute), end; it != end; ++it)
      EXPECT_FALSE(std::regex_search((*it)[2].str(), letters)) << f.filename() << ": " << (*it)[0];
    text = std::regex_replace(text, tags, " ");
    text = std::regex_replace(text, entities, " ");
    std::smatch m;
    std::string rest = text;
    while (std::regex_search(rest, m, letters)) {
      size_t at = static_cast<size_t>(m.position(0));
      ADD_FAILURE() << f.filename() << ": text outside the catalog near \"" << rest.substr(at > 20 ? at - 20 : 0, 60) << "\"";
      rest = rest.substr(at + 60 < rest.size() ? at + 60 : rest.size());
    }
  }
}

// The catalog keys the code names literally, in any of the catalog's groups.
TEST(Catalog, EveryKeyTheCodeNamesExists) {
  Catalog c = Load();
  std::set<std::string> groups;
  for (const auto& [key, text] : c.Texts("zh-CN")) groups.insert(key.substr(0, key.find('.')));
  const std::regex literal(R"re("([a-z_]+)((?:\.[A-Za-z0-9_]+)+)")re");
  int found = 0;
  for (const fs::path& f : FilesUnder(kSource + "/app", ".cc")) {
    if (f.filename() == "config.cc") continue;  // the node's settings ("invoice.channel"), not messages
    std::string text = Read(f);
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      if (!groups.count((*it)[1].str())) continue;
      std::string key = (*it)[1].str() + (*it)[2].str();
      // A key that continues in code ("state.color." + name) is checked below by its values.
      size_t after = static_cast<size_t>(it->position(0) + it->length(0));
      if (text.compare(after, 3, " + ") == 0) continue;
      // A notice (SendNotice) names the group of its .title and .text.
      const bool notice = c.Has(key + ".title") && c.Has(key + ".text");
      EXPECT_TRUE(c.Has(key) || notice) << f.filename() << ": \"" << key << "\" is not in the catalog";
      ++found;
    }
  }
  EXPECT_GT(found, 30);
}

// Keys the code builds from a value: one for each value.
TEST(Catalog, KeysBuiltFromValuesExistForEachValue) {
  Catalog c = Load();
  for (TokenRole r : {TokenRole::kAdmin, TokenRole::kMerchant, TokenRole::kEmployee, TokenRole::kFinance, TokenRole::kAuditor})
    EXPECT_TRUE(c.Has("role." + TokenRoleName(r))) << TokenRoleName(r);
  using invoice::Reimbursement;
  for (Reimbursement r : {Reimbursement::kNone, Reimbursement::kLocked, Reimbursement::kSettled})
    EXPECT_TRUE(c.Has("state.reimbursement." + std::string(invoice::ReimbursementName(r))));
  using K = invoice::Step::Kind;
  for (K k : {K::kIssued, K::kReversed, K::kClaimed, K::kSettled, K::kReleased, K::kConfirmationRequested,
              K::kConfirmationAccepted, K::kConfirmationRefused})
    EXPECT_TRUE(c.Has("step." + std::string(invoice::StepName(k))));
  using E = invoice::CreditCodeError;
  for (E e : {E::kLength, E::kCharset, E::kAuthority, E::kKind, E::kRegion, E::kCheckCharacter})
    EXPECT_TRUE(c.Has("error.tax_id." + std::string(invoice::CreditCodeErrorName(e))));
  for (const char* s : {"sealed", "pending", "rejected"}) EXPECT_TRUE(c.Has(std::string("state.status.") + s));
  for (const char* s : {"blue", "red"}) EXPECT_TRUE(c.Has(std::string("state.color.") + s));
  for (const char* s : {"01", "02", "03", "04"}) EXPECT_TRUE(c.Has(std::string("state.red_reason.") + s));
  for (int status : {400, 401, 403, 404, 405, 409, 413, 422, 500}) {
    EXPECT_TRUE(c.Has("error.title_" + std::to_string(status))) << status;
    EXPECT_TRUE(c.Has("error.status_" + std::to_string(status))) << status;
  }
}

TEST(Catalog, PlaceholdersAndLanguageChoice) {
  Catalog c = Load();
  EXPECT_EQ(c.Text("zh-CN", "step.block", {{"height", "17"}}), "第 17 号区块");
  EXPECT_EQ(c.Text("en", "step.block", {{"height", "17"}}), "block 17");
  EXPECT_EQ(c.Text("fr", "step.block", {{"height", "17"}}), "第 17 号区块");  // not ours: the default
  EXPECT_THROW(c.Text("zh-CN", "no.such.key"), std::out_of_range);
  EXPECT_EQ(c.FromAcceptLanguage(""), "zh-CN");
  EXPECT_EQ(c.FromAcceptLanguage("en-US,en;q=0.9"), "en");
  EXPECT_EQ(c.FromAcceptLanguage("zh-TW,zh;q=0.9,en;q=0.8"), "zh-CN");
  EXPECT_EQ(c.FromAcceptLanguage("fr-FR,fr;q=0.9,en;q=0.5"), "en");
  EXPECT_EQ(c.FromAcceptLanguage("en;q=0.4,zh-CN;q=0.8"), "zh-CN");
  EXPECT_EQ(c.FromAcceptLanguage("de"), "zh-CN");
  EXPECT_EQ(c.FromAcceptLanguage(std::string(100000, ',')), "zh-CN");
}

TEST(Catalog, BrokenCatalogsAreRefusedNamingTheKey) {
  fs::path dir = fs::temp_directory_path() / ("catalog-test-" + std::to_string(::getpid()));
  fs::create_directories(dir / "zh-CN");
  fs::create_directories(dir / "en");
  std::ofstream(dir / "zh-CN" / "a.properties") << "a.one = 一\na.two = 二\n";
  std::ofstream(dir / "en" / "a.properties") << "a.one = one\n";
  try {
    Catalog c(dir.string());
    ADD_FAILURE() << "a key missing from en was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a.two"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "en" / "a.properties") << "a.one = one\na.two = two\na.two.more = more\n";
  std::ofstream(dir / "zh-CN" / "a.properties") << "a.one = 一\na.two = 二\na.two.more = 更多\n";
  EXPECT_THROW(Catalog c(dir.string()), std::runtime_error);  // a.two is a text and a group
  fs::remove_all(dir);
}

}  // namespace
}  // namespace app
