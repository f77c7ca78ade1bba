// Small helpers for writing and strictly reading the canonical XML documents: children are
// read in order, each by its expected name, and anything unexpected is a Problem.
#pragma once

#include <pugixml.hpp>

#include <optional>
#include <sstream>
#include <string>

#include "invoice/invoice.h"

namespace invoice::xml {

inline void Add(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}
inline void AddIf(pugi::xml_node parent, const char* name, const std::string& text) {
  if (!text.empty()) Add(parent, name, text);
}

inline std::string Canonical(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

// Walks the element children of one node in order.
class Reader {
 public:
  explicit Reader(pugi::xml_node node) : node_(node), next_(node.first_child()) {}
  // The next child must be `name`; returns its text (a child that is not plain text fails).
  std::optional<std::string> Text(const char* name) {
    if (!next_ || std::string(next_.name()) != name) {
      missing_ = missing_.empty() ? name : missing_;
      return std::nullopt;
    }
    pugi::xml_node n = next_;
    next_ = next_.next_sibling();
    return std::string(n.text().get());
  }
  // An optional child: empty string when absent.
  std::string Optional(const char* name) {
    if (next_ && std::string(next_.name()) == name) return *Text(name);
    return "";
  }
  pugi::xml_node Child(const char* name) {
    if (!next_ || std::string(next_.name()) != name) {
      missing_ = missing_.empty() ? name : missing_;
      return {};
    }
    pugi::xml_node n = next_;
    next_ = next_.next_sibling();
    return n;
  }
  bool AtChild(const char* name) const { return next_ && std::string(next_.name()) == name; }
  bool Done() const { return !next_; }
  const std::string& missing() const { return missing_; }

 private:
  pugi::xml_node node_;
  pugi::xml_node next_;
  std::string missing_;
};

}  // namespace invoice::xml
