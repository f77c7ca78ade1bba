// The canonical payload of every lifecycle event, as it is signed and sealed on the chain.
// The entry's kind names the event ("register", "apply", "issue", "reimburse", "confirm",
// "file"); the payload is canonical XML (an `issue` payload is the national-style invoice
// XML). Decode accepts only canonical bytes. invoice/README.md "Event payloads" lists every element.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "invoice/lifecycle.h"

namespace invoice {

std::string_view EventKind(const Event& e);
std::string EncodeEvent(const Event& e);
std::variant<Event, Problem> DecodeEvent(std::string_view kind, std::string_view payload);

}  // namespace invoice
