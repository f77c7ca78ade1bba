#include "app/chain/proof_check.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "ledger/hash.h"

#include "ledger/block.h"
#include "ledger/merkle.h"

namespace app {
namespace {

using Poco::JSON::Object;

struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Object::Ptr ParseObject(const std::string& text, const char* what) {
  try {
    auto o = Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
    if (!o) throw Bad(std::string(what) + " is not a JSON object");
    return o;
  } catch (const Poco::Exception& e) {
    throw Bad(std::string(what) + " is not JSON: " + e.displayText());
  }
}

std::string Str(const Object::Ptr& o, const char* key, const char* what) {
  if (!o->has(key) || !o->get(key).isString()) throw Bad(std::string(what) + " lacks \"" + key + "\"");
  return o->getValue<std::string>(key);
}

uint64_t Num(const Object::Ptr& o, const char* key, const char* what) {
  if (!o->has(key) || !o->get(key).isInteger()) throw Bad(std::string(what) + " lacks the number \"" + key + "\"");
  return o->getValue<uint64_t>(key);
}

ledger::Hash HashField(const std::string& hex, const std::string& what) {
  auto h = ledger::HashFromHex(hex);
  if (!h) throw Bad(what + " is not 64 hex digits");
  return *h;
}

// The head's signed header, checked against its own JSON fields and the authority key.
ledger::SignedHeader CheckHead(const std::string& json, const ledger::PublicKeyBytes& key, const char* what) {
  Object::Ptr o = ParseObject(json, what);
  auto header_bytes = ledger::FromHex(Str(o, "header", what));
  if (!header_bytes) throw Bad(std::string(what) + ": header is not hex");
  auto header = ledger::BlockHeader::Decode(*header_bytes);
  if (!header.ok()) throw Bad(std::string(what) + ": header: " + header.status().message());
  auto sig = ledger::FromHex(Str(o, "signature", what));
  if (!sig || sig->size() != 64) throw Bad(std::string(what) + ": signature is not 128 hex digits");
  ledger::SignedHeader h{*header, {}};
  std::copy(sig->begin(), sig->end(), h.signature.begin());
  if (!h.SignatureValid(key)) throw Bad(std::string(what) + ": the signature does not verify with the authority key");
  if (Num(o, "tree_size", what) != h.header.tree_size || Num(o, "height", what) != h.header.height ||
      HashField(Str(o, "tree_root", what), std::string(what) + " tree_root") != h.header.tree_root)
    throw Bad(std::string(what) + ": its fields differ from the signed header");
  return h;
}

// The hashes of `p[key]` (a proof path, hex strings).
std::vector<ledger::Hash> ProofPath(const Object::Ptr& p, const std::string& key = "proof") {
  auto arr = p->getArray(key);
  if (!arr) throw Bad("the proof lacks \"" + key + "\"");
  std::vector<ledger::Hash> path;
  for (size_t i = 0; i < arr->size(); ++i) {
    if (!arr->get(i).isString()) throw Bad(key + "[" + std::to_string(i) + "] is not a string");
    path.push_back(HashField(arr->get(i).toString(), key + "[" + std::to_string(i) + "]"));
  }
  return path;
}

}  // namespace

ProofVerdict VerifyProof(const std::string& head_json, const std::string& proof_json, const ledger::PublicKeyBytes& authority,
                         const std::string& old_head_json) {
  try {
    ledger::SignedHeader head = CheckHead(head_json, authority, "the head");
    Object::Ptr p = ParseObject(proof_json, "the proof");
    std::vector<ledger::Hash> path = ProofPath(p);
    if (p->has("leaf_hash")) {
      uint64_t index = Num(p, "leaf_index", "the proof"), size = Num(p, "tree_size", "the proof");
      ledger::Hash leaf = HashField(Str(p, "leaf_hash", "the proof"), "leaf_hash");
      if (size != head.header.tree_size)
        throw Bad("the proof is for tree size " + std::to_string(size) + ", the head signs " + std::to_string(head.header.tree_size));
      if (!ledger::VerifyInclusion(index, size, leaf, path, head.header.tree_root))
        throw Bad("the inclusion proof does not lead to the signed root");
      return {true, "leaf " + leaf.Hex() + " is entry " + std::to_string(index) + " of the " + std::to_string(size) +
                        " entries the authority signed at height " + std::to_string(head.header.height)};
    }
    if (old_head_json.empty()) throw Bad("a consistency proof needs the older head (--old-head)");
    ledger::SignedHeader old = CheckHead(old_head_json, authority, "the older head");
    uint64_t first = Num(p, "first", "the proof"), second = Num(p, "second", "the proof");
    if (first != old.header.tree_size || second != head.header.tree_size)
      throw Bad("the proof is for sizes " + std::to_string(first) + " → " + std::to_string(second) + ", the heads sign " +
                std::to_string(old.header.tree_size) + " → " + std::to_string(head.header.tree_size));
    if (!ledger::VerifyConsistency(first, second, old.header.tree_root, head.header.tree_root, path))
      throw Bad("the consistency proof does not join the two signed roots");
    return {true, "the tree of " + std::to_string(second) + " entries (height " + std::to_string(head.header.height) +
                      ") extends the tree of " + std::to_string(first) + " (height " + std::to_string(old.header.height) + ")"};
  } catch (const Bad& e) {
    return {false, e.what()};
  }
}

ProofVerdict VerifyBundle(const std::string& bundle_json, const ledger::PublicKeyBytes& authority,
                          const FinalityPolicy& policy, const std::string& h) {
  try {
    Object::Ptr b = ParseObject(bundle_json, "the bundle");
    if (b->optValue<std::string>("format", "") != "einvoice-proof-bundle/1") throw Bad("not an einvoice-proof-bundle/1");
    const std::string no = Str(b, "invoice_no", "the bundle");
    const uint64_t index = Num(b, "leaf_index", "the bundle"), size = Num(b, "tree_size", "the bundle");
    const ledger::Hash leaf = HashField(Str(b, "leaf_hash", "the bundle"), "leaf_hash");
    if (!h.empty() && leaf.Hex().substr(0, 16) != h) throw Bad("the leaf is not the one the QR code's h names");
    auto c = CheckCosigned(Str(b, "checkpoint", "the bundle"), authority, policy);
    if (!c.ok()) throw Bad("the checkpoint: " + c.status().message());
    if (c->checkpoint.size != size) throw Bad("the bundle's tree size is not its checkpoint's");
    if (index >= size) throw Bad("the checkpoint does not cover leaf " + std::to_string(index));
    if (!ledger::VerifyInclusion(index, size, leaf, ProofPath(b, "inclusion_proof"), c->checkpoint.root))
      throw Bad("the inclusion proof does not lead to the checkpoint's root");
    std::string held = "its entry is not in the bundle (the reader may not see it)";
    if (b->has("entry") && !b->get("entry").isEmpty()) {
      auto entry = ledger::FromBase64(b->get("entry").toString());
      if (!entry) throw Bad("the entry is not base64");
      if (ledger::LeafHash(*entry) != leaf) throw Bad("the entry does not hash to the leaf");
      held = "its entry hashes to the leaf";
    }
    return {true, "invoice " + no + " is leaf " + std::to_string(index) + " of the log " + c->checkpoint.origin + ", " +
                      held + "; final: " + DescribeFinality(*c, policy)};
  } catch (const Bad& e) {
    return {false, e.what()};
  }
}

}  // namespace app
