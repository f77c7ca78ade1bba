#include "app/chain_json.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

namespace app {

using Poco::JSON::Array;
using Poco::JSON::Object;

BlockLine ParseBlockLine(const std::string& line) {
  Poco::JSON::Object::Ptr o;
  try {
    o = Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("a block line is not a JSON object: " + e.message());
  }
  BlockLine b;
  auto header = ledger::FromHex(o->optValue<std::string>("header", ""));
  auto sig = ledger::FromHex(o->optValue<std::string>("signature", ""));
  if (!header || !sig || sig->size() != 64) throw std::invalid_argument("a block line lacks header or signature");
  auto h = ledger::BlockHeader::Decode(*header);
  if (!h.ok()) throw std::invalid_argument("block header: " + h.status().message());
  b.head.header = *h;
  std::copy(sig->begin(), sig->end(), b.head.signature.begin());
  if (o->optValue<uint64_t>("height", UINT64_MAX) != h->height || o->optValue<std::string>("tree_root", "") != h->tree_root.Hex())
    throw std::invalid_argument("block " + std::to_string(h->height) + ": the fields disagree with the header");
  Poco::JSON::Array::Ptr leaves = o->getArray("leaves");
  if (!leaves) throw std::invalid_argument("block " + std::to_string(h->height) + " has no leaves array");
  for (size_t i = 0; i < leaves->size(); ++i) {
    Object::Ptr l = leaves->getObject(i);
    if (!l) throw std::invalid_argument("a leaf is not an object");
    auto hash = ledger::HashFromHex(l->optValue<std::string>("leaf_hash", ""));
    if (!hash) throw std::invalid_argument("a leaf hash is not 64 hex digits");
    ledger::LeafRecord r{l->optValue<uint64_t>("index", UINT64_MAX), *hash, std::nullopt};
    if (!l->isNull("entry")) {
      auto entry = ledger::FromBase64(l->optValue<std::string>("entry", ""));
      if (!entry) throw std::invalid_argument("leaf " + std::to_string(r.index) + ": entry is not base64");
      r.entry = std::move(*entry);
    }
    b.leaves.push_back(std::move(r));
  }
  return b;
}

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
                                     const std::function<void(uint64_t, uint64_t)>& progress, const RevealFn& reveal,
                                     uint64_t max_entries) {
  auto head = store.Head();
  if (!head.ok()) return head.status();
  uint64_t last = head->header.height;
  if (limit != 0 && from + limit - 1 < last) last = from + limit - 1;
  uint64_t prev_size = 0, written = 0, entries = 0;
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
    if (reveal)
      for (auto& l : *leaves)
        if (l.entry && !reveal(l)) l.entry.reset();
    BlockLineJson(*block, *leaves)->stringify(out);
    out << '\n';
    prev_size = block->header.tree_size;
    ++written;
    entries += leaves->size();
    if (progress) progress(prev_size, head->header.tree_size);
    if (max_entries != 0 && entries >= max_entries) break;
  }
  return written;
}

Poco::JSON::Object::Ptr SealedPlaceJson(uint64_t height, uint64_t leaf_index, const std::string& leaf_hash) {
  Poco::JSON::Object::Ptr l = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  l->set("height", height);
  l->set("leaf_index", leaf_index);
  l->set("leaf_hash", leaf_hash);
  return l;
}

}  // namespace app
