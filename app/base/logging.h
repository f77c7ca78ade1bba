// The node's log: one line per message on standard output (einvoiced's node.log), as
//   2026-11-30T01:53:12.394Z Critical authority: SEALING REFUSED: ...
// (UTC; level; source). Every message is made safe to print first: a control character
// (CR and LF included) is written as \xNN, so nothing a client or a peer sent can start a
// line of its own or rewrite the terminal.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace app {

// `text` with each byte below 0x20 and 0x7f written as \xNN.
std::string EscapeForLog(std::string_view text);

// What went wrong, for a log line: Poco's exceptions say it in displayText() (what() is
// only their class name, "SSL Exception").
std::string Describe(const std::exception& e);

// Sends every Poco logger to standard output in the format above.
void ConfigureNodeLogging();

}  // namespace app
