// HTML pages: mustache templates from ui-templates/ (kainjow/mustache), loaded once at
// start. `{{name}}` is HTML-escaped; `{{{name}}}` is raw and used only for markup this
// program made itself (the QR code's SVG). Files starting with "_" are partials
// (`{{> _head}}`). What a person reads comes from the catalog: `{{t.key}}`. Thread-safe
// after construction.
#pragma once

#include <kainjow/mustache.hpp>

#include "app/http/catalog.h"

#include <map>
#include <string>


namespace app {

using PageData = kainjow::mustache::data;

class Templates {
 public:
  // Loads every *.mustache in `dir` and the message catalog in `dir`/messages; throws naming
  // the file that does not parse.
  explicit Templates(const std::string& dir);
  const Catalog& catalog() const { return catalog_; }
  // Renders template `name` (without .mustache); throws if there is no such template.
  std::string Render(const std::string& name, PageData data) const;

 private:
  std::map<std::string, std::string> sources_;
  Catalog catalog_;
};

// A list for templates, from anything with a conversion to PageData.
inline PageData List() { return PageData(PageData::type::list); }

}  // namespace app
