// The message catalog: every string a person reads on a page, per language, from files
// beside the templates (ui-templates/messages/<lang>/*.properties, UTF-8, `key = text`).
// zh-CN is the default; en is the other. Templates read `{{t.<key>}}` (dotted keys nest:
// `apply.title` is `{{t.apply.title}}`); code reads Text(lang, key, {{"name", value}}), which
// fills `{name}` placeholders. A key missing from one language is an error at load time.
// Thread-safe after construction.
#pragma once

#include <kainjow/mustache.hpp>

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace app {

class Catalog {
 public:
  static constexpr std::string_view kDefaultLanguage = "zh-CN";
  using Args = std::initializer_list<std::pair<std::string_view, std::string>>;

  // Loads `dir`/<lang>/*.properties for every language folder in `dir`; throws naming the
  // file or the key at fault. An empty catalog (no folder) has only the default language.
  explicit Catalog(const std::string& dir);

  const std::vector<std::string>& languages() const { return languages_; }
  bool Has(std::string_view key) const;
  // The text of `key` in `lang` (the default language if `lang` is not one), `{name}`
  // replaced by the matching argument. Throws std::out_of_range for a key not in the catalog.
  std::string Text(std::string_view lang, std::string_view key, Args args = {}) const;
  // The word for a code: the text of `prefix` + `code` if the catalog has it, else the text
  // of `fallback_key` (if given), else the code itself.
  std::string Word(std::string_view lang, std::string_view prefix, std::string_view code,
                   std::string_view fallback_key = "") const;
  // Every text of `lang` as nested page data, for templates' `{{t.key}}`.
  const kainjow::mustache::data& Data(std::string_view lang) const;
  // Every key and text of `lang`.
  const std::map<std::string, std::string, std::less<>>& Texts(std::string_view lang) const;
  // The catalog's language for an Accept-Language header: the first tag (by q) that is one
  // of ours, matched by its primary subtag ("en-US" -> en, "zh-TW" -> zh-CN); the default
  // language otherwise.
  std::string FromAcceptLanguage(std::string_view header) const;

 private:
  struct Language {
    std::map<std::string, std::string, std::less<>> texts;
    kainjow::mustache::data data;
  };
  const Language& For(std::string_view lang) const;

  std::vector<std::string> languages_;
  std::map<std::string, Language, std::less<>> by_language_;
};

}  // namespace app
