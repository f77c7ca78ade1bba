// The lifecycle events a chain store holds, in chain order, each with where it was sealed:
// the authority replays those its saved lifecycle has not seen; a taxpayer node folds the
// ones it may read into its view. Leaves without an entry (a replica's view of other
// taxpayers' events) are skipped.
#pragma once

#include <stdexcept>
#include <string>

#include "app/base/or_throw.h"
#include "invoice/event_codec.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"

namespace app {

struct ChainEvent {
  std::string submitter;
  invoice::Event event;
  invoice::Place place;
};

// Calls f(const ChainEvent&) for every held entry in blocks after `after_height` up to the
// head; returns the height it reached. A held entry that does not decode throws: the store
// checked every entry against its leaf hash, so that is a bug or a foreign store.
template <typename F>
uint64_t ForEachChainEvent(ledger::BlockStore& store, uint64_t after_height, F f) {
  auto head = store.Head();
  if (!head.ok()) return after_height;
  auto prev = store.BlockAt(after_height);
  OrThrow(prev, "chain events");
  uint64_t begin = prev->header.tree_size;
  for (uint64_t h = after_height + 1; h <= head->header.height; ++h) {
    auto block = store.BlockAt(h);
    OrThrow(block, "chain events");
    auto leaves = store.Leaves(begin, block->header.tree_size);
    OrThrow(leaves, "chain events");
    for (const auto& leaf : *leaves) {
      if (!leaf.entry) continue;
      auto entry = ledger::Entry::Decode(*leaf.entry);
      if (!entry.ok()) throw std::runtime_error("entry " + std::to_string(leaf.index) + " is malformed");
      auto event = invoice::DecodeEvent(entry->kind, std::string(entry->payload.begin(), entry->payload.end()));
      if (auto* p = std::get_if<invoice::Problem>(&event))
        throw std::runtime_error("entry " + std::to_string(leaf.index) + ": " + p->message);
      f(ChainEvent{entry->submitter, std::move(std::get<invoice::Event>(event)),
                   invoice::Place{h, leaf.index, leaf.leaf_hash.Hex(), block->header.time_ms}});
    }
    begin = block->header.tree_size;
  }
  return head->header.height;
}

}  // namespace app
