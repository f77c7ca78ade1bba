#include "app/http/pages.h"
#include "app/base/text_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace app {

Templates::Templates(const std::string& dir) : catalog_(dir + "/messages") {
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error("ui.templates_dir " + dir + " is not a folder");
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".mustache") continue;
    std::string text = ReadTextFile(e.path().string());
    kainjow::mustache::mustache check(text);
    if (!check.is_valid()) throw std::runtime_error(e.path().string() + ": " + check.error_message());
    sources_[e.path().stem().string()] = text;
  }
}

std::string Templates::Render(const std::string& name, PageData data) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) throw std::runtime_error("no template " + name);
  for (const auto& [partial, text] : sources_)
    if (!partial.empty() && partial[0] == '_') {
      std::string copy = text;
      data.set(partial, kainjow::mustache::partial([copy] { return copy; }));
    }
  kainjow::mustache::mustache tmpl(it->second);
  return tmpl.render(data);
}

}  // namespace app
