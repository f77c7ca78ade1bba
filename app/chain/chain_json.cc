#include "app/chain/chain_json.h"

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
  o->set("suite", std::string(ledger::SuiteName(ledger::ActiveSuite())));
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

namespace {

// Calls f(block, leaves) for blocks [from, from + limit), as WriteBlocks describes; f may
// keep the leaves (move them away).
ledger::Result<uint64_t> ForEachBlock(ledger::BlockStore& store, uint64_t from, uint64_t limit,
                                      const std::function<void(const ledger::SignedHeader&, std::vector<ledger::LeafRecord>&)>& f,
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
    entries += leaves->size();
    f(*block, *leaves);
    prev_size = block->header.tree_size;
    ++written;
    if (progress) progress(prev_size, head->header.tree_size);
    if (max_entries != 0 && entries >= max_entries) break;
  }
  return written;
}

}  // namespace

ledger::Result<uint64_t> WriteBlocks(ledger::BlockStore& store, uint64_t from, uint64_t limit, std::ostream& out,
                                     const std::function<void(uint64_t, uint64_t)>& progress, const RevealFn& reveal,
                                     uint64_t max_entries) {
  return ForEachBlock(
      store, from, limit,
      [&](const ledger::SignedHeader& block, std::vector<ledger::LeafRecord>& leaves) {
        BlockLineJson(block, leaves)->stringify(out);
        out << '\n';
      },
      progress, reveal, max_entries);
}

namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
// Appends raw bytes (append() over byte iterators builds a temporary string each time).
template <typename Container>
void PutRaw(std::string* out, const Container& bytes) {
  out->append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Reads big-endian fields and byte runs from a page, throwing on truncation.
class PageReader {
 public:
  explicit PageReader(std::string_view page) : p_(page) {}
  bool done() const { return at_ == p_.size(); }
  uint64_t Uint(int bytes) {
    Need(static_cast<size_t>(bytes));
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p_[at_++]);
    return v;
  }
  std::string_view Bytes(size_t n) {
    Need(n);
    std::string_view v = p_.substr(at_, n);
    at_ += n;
    return v;
  }

 private:
  void Need(size_t n) const {
    if (p_.size() - at_ < n) throw std::invalid_argument("the binary block page is truncated");
  }
  std::string_view p_;
  size_t at_ = 0;
};

constexpr uint32_t kNoEntry = 0xffffffffu;

void PutBlock(const ledger::Bytes& header, const ledger::SignatureBytes& signature,
              const std::vector<ledger::LeafRecord>& leaves, std::string* out) {
  PutU32(out, static_cast<uint32_t>(header.size()));
  PutRaw(out, header);
  PutRaw(out, signature);
  PutU32(out, static_cast<uint32_t>(leaves.size()));
  for (const auto& l : leaves) {
    PutU64(out, l.index);
    PutRaw(out, l.leaf_hash.bytes);
    PutU32(out, l.entry ? static_cast<uint32_t>(l.entry->size()) : kNoEntry);
    if (l.entry) PutRaw(out, *l.entry);
  }
}

}  // namespace

ledger::Result<uint64_t> WriteBlocksBinary(ledger::BlockStore& store, uint64_t from, uint64_t limit, std::string* out,
                                           const RevealFn& reveal, uint64_t max_entries) {
  // The page is sized first and written into one allocation: grown as it was written, a
  // page of 20,000 entries in full was reallocated a dozen times into fresh memory: 16% of
  // a full-entry catch-up's profile (page faults and copies), 4% once sized.
  struct Block {
    ledger::Bytes header;
    ledger::SignatureBytes signature;
    std::vector<ledger::LeafRecord> leaves;
  };
  std::vector<Block> blocks;
  size_t bytes = 0;
  auto written = ForEachBlock(
      store, from, limit,
      [&](const ledger::SignedHeader& block, std::vector<ledger::LeafRecord>& leaves) {
        Block& b = blocks.emplace_back(Block{block.header.Encode(), block.signature, std::move(leaves)});
        bytes += 4 + b.header.size() + b.signature.size() + 4;
        for (const auto& l : b.leaves) bytes += 8 + l.leaf_hash.bytes.size() + 4 + (l.entry ? l.entry->size() : 0);
      },
      {}, reveal, max_entries);
  if (!written.ok()) return written;
  out->reserve(out->size() + bytes);
  for (const Block& b : blocks) PutBlock(b.header, b.signature, b.leaves, out);
  return written;
}

void AppendBlockBinary(const ledger::SignedHeader& block, const std::vector<ledger::LeafRecord>& leaves, std::string* out) {
  PutBlock(block.header.Encode(), block.signature, leaves, out);
}

std::vector<BlockLine> ParseBlocksBinary(std::string_view page) {
  PageReader r(page);
  std::vector<BlockLine> out;
  while (!r.done()) {
    BlockLine b;
    uint64_t header_size = r.Uint(4);
    if (header_size > 1024) throw std::invalid_argument("a block header in the page is too long");
    std::string_view header = r.Bytes(header_size);
    auto h = ledger::BlockHeader::Decode(ledger::ByteView(reinterpret_cast<const uint8_t*>(header.data()), header.size()));
    if (!h.ok()) throw std::invalid_argument("block header: " + h.status().message());
    b.head.header = *h;
    std::string_view sig = r.Bytes(64);
    std::copy(sig.begin(), sig.end(), b.head.signature.begin());
    uint64_t count = r.Uint(4);
    if (count > page.size() / 44) throw std::invalid_argument("block " + std::to_string(h->height) + ": leaf count beyond the page");
    b.leaves.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      ledger::LeafRecord l{r.Uint(8), {}, std::nullopt};
      std::string_view hash = r.Bytes(32);
      std::copy(hash.begin(), hash.end(), l.leaf_hash.bytes.begin());
      uint64_t size = r.Uint(4);
      if (size != kNoEntry) {
        std::string_view entry = r.Bytes(size);
        l.entry = ledger::Bytes(entry.begin(), entry.end());
      }
      b.leaves.push_back(std::move(l));
    }
    out.push_back(std::move(b));
  }
  return out;
}

Poco::JSON::Object::Ptr SealedPlaceJson(uint64_t height, uint64_t leaf_index, const std::string& leaf_hash) {
  Poco::JSON::Object::Ptr l = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  l->set("height", height);
  l->set("leaf_index", leaf_index);
  l->set("leaf_hash", leaf_hash);
  return l;
}

}  // namespace app
