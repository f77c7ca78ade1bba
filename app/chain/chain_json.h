// The chain as JSON: the signed head of GET /v1/chain/head, and the JSON Lines export
// format shared by `einvoice chain export` and GET /v1/chain/blocks (ledger/README.md "Export format").
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <ostream>
#include <string_view>

#include "ledger/block_store.h"

namespace app {

Poco::JSON::Object::Ptr HeadJson(const ledger::SignedHeader& head);
// The first line of an export: what the chain is and which key signs it.
Poco::JSON::Object::Ptr ChainLineJson(const ledger::PublicKeyBytes& authority, const ledger::SignedHeader& head);
// One block with its leaves.
Poco::JSON::Object::Ptr BlockLineJson(const ledger::SignedHeader& block, const std::vector<ledger::LeafRecord>& leaves);

// Decides per leaf whether its full entry is shown (else "entry": null).
using RevealFn = std::function<bool(const ledger::LeafRecord&)>;

// A page of GET /v1/chain/blocks ends after the block that reaches this many entries, so
// that a catching-up node never asks for one huge answer when blocks are big.
constexpr uint64_t kMaxEntriesPerPage = 20000;

// Writes blocks [from, from + limit) as JSON Lines (limit 0: to the head), stopping after
// the block that reaches `max_entries` entries (0: no cap). `progress` gets (entries
// written, entries in total). Returns the number of blocks written.
ledger::Result<uint64_t> WriteBlocks(ledger::BlockStore& store, uint64_t from, uint64_t limit, std::ostream& out,
                                     const std::function<void(uint64_t, uint64_t)>& progress = {},
                                     const RevealFn& reveal = {}, uint64_t max_entries = 0);

// The same page in the binary block format (ledger/README.md "Export format", binary pages): per
// block, big-endian: u32 header length, the header, the 64-byte signature, u32 leaf count;
// per leaf: u64 index, the 32-byte leaf hash, u32 entry length (0xffffffff: not shown) and
// the entry. What a catching-up node asks for: no JSON, no hex, no base64.
ledger::Result<uint64_t> WriteBlocksBinary(ledger::BlockStore& store, uint64_t from, uint64_t limit, std::string* out,
                                           const RevealFn& reveal = {}, uint64_t max_entries = 0);

// One block in that binary format, appended to `out` (a page of blocks not in a store).
void AppendBlockBinary(const ledger::SignedHeader& block, const std::vector<ledger::LeafRecord>& leaves, std::string* out);

// One block line back: the signed header (rebuilt from "header" and checked against the
// fields) and its leaves. Throws std::invalid_argument naming what is wrong.
struct BlockLine {
  ledger::SignedHeader head;
  std::vector<ledger::LeafRecord> leaves;
};
BlockLine ParseBlockLine(const std::string& line);
// A binary page back. Throws std::invalid_argument when it is truncated or malformed;
// signatures, hashes and order are for the caller (BlockStore::ApplyBlocks) to check.
std::vector<BlockLine> ParseBlocksBinary(std::string_view page);

std::string Rfc3339(uint64_t time_ms);

// Where an entry was sealed, as the API shows it: {height, leaf_index, leaf_hash}.
Poco::JSON::Object::Ptr SealedPlaceJson(uint64_t height, uint64_t leaf_index, const std::string& leaf_hash);

}  // namespace app
