#include "app/http/catalog.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <stdexcept>

namespace app {
namespace {

using Data = kainjow::mustache::data;

// Every key under `prefix` of a properties file (Poco keeps them as a tree).
void CollectKeys(const Poco::Util::AbstractConfiguration& conf, const std::string& prefix,
                 std::map<std::string, std::string, std::less<>>& out) {
  Poco::Util::AbstractConfiguration::Keys keys;
  conf.keys(prefix, keys);
  for (const std::string& k : keys) {
    std::string full = prefix.empty() ? k : prefix + "." + k;
    if (conf.hasProperty(full)) out[full] = conf.getRawString(full);
    CollectKeys(conf, full, out);
  }
}

// "a.b.c" = text becomes data{a: {b: {c: text}}}.
Data Nest(const std::map<std::string, std::string, std::less<>>& texts) {
  struct Node {
    std::string text;
    bool leaf = false;
    std::map<std::string, Node> children;
  };
  Node root;
  for (const auto& [key, text] : texts) {
    Node* n = &root;
    size_t start = 0;
    while (true) {
      size_t dot = key.find('.', start);
      n = &n->children[key.substr(start, dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    n->text = text;
    n->leaf = true;
  }
  std::function<Data(const Node&, const std::string&)> to_data = [&](const Node& n, const std::string& path) -> Data {
    if (n.leaf && !n.children.empty()) throw std::runtime_error("message " + path + " is also the start of other keys");
    if (n.leaf) return Data(n.text);
    Data d;
    for (const auto& [name, child] : n.children) d.set(name, to_data(child, path.empty() ? name : path + "." + name));
    return d;
  };
  return to_data(root, "");
}

std::string_view PrimarySubtag(std::string_view tag) { return tag.substr(0, tag.find('-')); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Catalog::Catalog(const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::is_directory(dir))
    for (const auto& lang_dir : fs::directory_iterator(dir)) {
      if (!lang_dir.is_directory()) continue;
      std::string lang = lang_dir.path().filename().string();
      Language& l = by_language_[lang];
      for (const auto& file : fs::directory_iterator(lang_dir.path())) {
        if (file.path().extension() != ".properties") continue;
        std::map<std::string, std::string, std::less<>> texts;
        try {
          Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> conf(
              new Poco::Util::PropertyFileConfiguration(file.path().string()));
          CollectKeys(*conf, "", texts);
        } catch (const Poco::Exception& e) {
          throw std::runtime_error(file.path().string() + ": " + e.displayText());
        }
        for (auto& [key, text] : texts)
          if (!l.texts.emplace(key, std::move(text)).second)
            throw std::runtime_error(file.path().string() + ": " + key + " is defined twice in " + lang);
      }
      languages_.push_back(lang);
    }
  if (by_language_.find(kDefaultLanguage) == by_language_.end()) {
    by_language_[std::string(kDefaultLanguage)];
    languages_.push_back(std::string(kDefaultLanguage));
  }
  std::sort(languages_.begin(), languages_.end(), [](const std::string& a, const std::string& b) {
    return (a == kDefaultLanguage) != (b == kDefaultLanguage) ? a == kDefaultLanguage : a < b;
  });
  const Language& base = by_language_.find(kDefaultLanguage)->second;
  for (auto& [lang, l] : by_language_) {
    for (const auto& [key, text] : base.texts)
      if (!l.texts.count(key)) throw std::runtime_error("message " + key + " is in " + std::string(kDefaultLanguage) + " but not in " + lang);
    for (const auto& [key, text] : l.texts)
      if (!base.texts.count(key)) throw std::runtime_error("message " + key + " is in " + lang + " but not in " + std::string(kDefaultLanguage));
    l.data = Nest(l.texts);
  }
}

const Catalog::Language& Catalog::For(std::string_view lang) const {
  auto it = by_language_.find(lang);
  if (it == by_language_.end()) it = by_language_.find(kDefaultLanguage);
  return it->second;
}

bool Catalog::Has(std::string_view key) const { return For(kDefaultLanguage).texts.count(key) > 0; }

std::string Catalog::Text(std::string_view lang, std::string_view key, Args args) const {
  const auto& texts = For(lang).texts;
  auto it = texts.find(key);
  if (it == texts.end()) throw std::out_of_range("no message " + std::string(key) + " in the catalog");
  std::string out;
  const std::string& text = it->second;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close != std::string::npos) {
        std::string_view name(text.data() + i + 1, close - i - 1);
        auto arg = std::find_if(args.begin(), args.end(), [&](const auto& a) { return a.first == name; });
        if (arg != args.end()) {
          out += arg->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

const kainjow::mustache::data& Catalog::Data(std::string_view lang) const { return For(lang).data; }

const std::map<std::string, std::string, std::less<>>& Catalog::Texts(std::string_view lang) const {
  return For(lang).texts;
}

std::string Catalog::Word(std::string_view lang, std::string_view prefix, std::string_view code,
                          std::string_view fallback_key) const {
  std::string key = std::string(prefix) + std::string(code);
  if (Has(key)) return Text(lang, key);
  if (!fallback_key.empty()) return Text(lang, fallback_key);
  return std::string(code);
}

std::string Catalog::FromAcceptLanguage(std::string_view header) const {
  std::string best(kDefaultLanguage);
  double best_q = -1;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::string_view tag = Trim(item.substr(0, item.find(';')));
    double q = 1;
    if (size_t p = item.find(";q="); p != std::string_view::npos) {
      try {
        q = std::stod(std::string(item.substr(p + 3, 5)));
      } catch (const std::exception&) {
        q = 0;
      }
    }
    if (q <= best_q || q <= 0) continue;
    for (const std::string& lang : languages_)
      if (tag.size() <= 16 && PrimarySubtag(tag) == PrimarySubtag(lang)) {
        best = lang;
        best_q = q;
        break;
      }
  }
  return best;
}

}  // namespace app
