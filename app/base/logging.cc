#include "app/base/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>

namespace app {
namespace {

// The pattern formatter, over the escaped message text.
class SafeFormatter : public Poco::PatternFormatter {
 public:
  SafeFormatter() : PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t") {}
  void format(const Poco::Message& msg, std::string& text) override {
    Poco::Message safe(msg);
    safe.setText(EscapeForLog(msg.getText()));
    PatternFormatter::format(safe, text);
  }
};

}  // namespace

std::string EscapeForLog(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Describe(const std::exception& e) {
  if (auto* poco = dynamic_cast<const Poco::Exception*>(&e)) return poco->displayText();
  return e.what();
}

void ConfigureNodeLogging() {
  Poco::AutoPtr<Poco::FormattingChannel> channel(
      new Poco::FormattingChannel(new SafeFormatter, new Poco::ConsoleChannel));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::setChannel("", channel);  // loggers made before this call as well
}

}  // namespace app
