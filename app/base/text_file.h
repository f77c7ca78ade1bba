// Reads a whole file as bytes; an unreadable or missing file reads as "". Callers that
// need the content check it (a key must parse, a template must compile).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace app {

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace app
