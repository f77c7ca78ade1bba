#include "app/chain_json.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/Timestamp.h>

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string Rfc3339(uint64_t time_ms) {
  Poco::Timestamp ts(static_cast<Poco::Timestamp::TimeVal>(time_ms) * 1000);
  return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%iZ");
}

Object::Ptr HeadJson(const ledger::SignedHeader& head) {
  const ledger::BlockHeader& h = head.header;
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("height", h.height);
  o->set("block_hash", h.BlockHash().Hex());
  o->set("prev_hash", h.prev_hash.Hex());
  o->set("tree_size", h.tree_size);
  o->set("tree_root", h.tree_root.Hex());
  o->set("time", Rfc3339(h.time_ms));
  o->set("time_ms", h.time_ms);
  o->set("header", ledger::ToHex(h.Encode()));
  o->set("signature", ledger::ToHex(head.signature));
  return o;
}

Object::Ptr ChainLineJson(const ledger::PublicKeyBytes& authority, const ledger::SignedHeader& head) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("type", "chain");
  o->set("format", "einvoice-chain/1");
  o->set("authority_public_key", ledger::ToHex(authority));
  o->set("authority_public_key_pem", ledger::PublicKeyToPem(authority));
  o->set("height", head.header.height);
  o->set("tree_size", head.header.tree_size);
  return o;
}

Object::Ptr BlockLineJson(const ledger::SignedHeader& block, const std::vector<ledger::LeafRecord>& leaves) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("type", "block");
  Object::Ptr head = HeadJson(block);
  for (const auto& name : head->getNames()) o->set(name, head->get(name));
  Array::Ptr arr = new Array;
  for (const auto& l : leaves) {
    Object::Ptr leaf = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    leaf->set("index", l.index);
    leaf->set("leaf_hash", l.leaf_hash.Hex());
    if (l.entry) leaf->set("entry", ledger::ToBase64(*l.entry));
    else leaf->set("entry", Poco::Dynamic::Var());
    arr->add(leaf);
  }
  o->set("leaves", arr);
  return o;
}

ledger::Result<uint64_t> WriteBlocks(ledger::BlockStore& store, uint64_t from, uint64_t limit, std::ostream& out,
                                     const std::function<void(uint64_t, uint64_t)>& progress) {
  auto head = store.Head();
  if (!head.ok()) return head.status();
  uint64_t last = head->header.height;
  if (limit != 0 && from + limit - 1 < last) last = from + limit - 1;
  uint64_t prev_size = 0, written = 0;
  if (from > 0 && from <= last) {
    auto prev = store.BlockAt(from - 1);
    if (!prev.ok()) return prev.status();
    prev_size = prev->header.tree_size;
  }
  for (uint64_t h = from; h <= last; ++h) {
    auto block = store.BlockAt(h);
    if (!block.ok()) return block.status();
    auto leaves = store.Leaves(prev_size, block->header.tree_size);
    if (!leaves.ok()) return leaves.status();
    BlockLineJson(*block, *leaves)->stringify(out);
    out << '\n';
    prev_size = block->header.tree_size;
    ++written;
    if (progress) progress(prev_size, head->header.tree_size);
  }
  return written;
}

}  // namespace app
