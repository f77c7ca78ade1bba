// Binary block pages (app::ParseBlocksBinary), what a catching-up node reads from
// GET /v1/chain/blocks. A page has one encoding (ledger/README.md "Export format"), so a page that
// parses must be exactly what the writer would write for the blocks it holds.
#include <stdexcept>
#include <string>

#include "app/chain/chain_json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void PutUint(std::string* out, uint64_t v, int bytes) {
  for (int s = 8 * (bytes - 1); s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
template <typename Container>
void PutRaw(std::string* out, const Container& c) {
  out->append(reinterpret_cast<const char*>(c.data()), c.size());
}

// The writer's layout (WriteBlocksBinary), restated: the property is that both agree.
std::string Encode(const std::vector<app::BlockLine>& blocks) {
  std::string out;
  for (const auto& b : blocks) {
    ledger::Bytes header = b.head.header.Encode();
    PutUint(&out, header.size(), 4);
    PutRaw(&out, header);
    PutRaw(&out, b.head.signature);
    PutUint(&out, b.leaves.size(), 4);
    for (const auto& l : b.leaves) {
      PutUint(&out, l.index, 8);
      PutRaw(&out, l.leaf_hash.bytes);
      PutUint(&out, l.entry ? l.entry->size() : 0xffffffffu, 4);
      if (l.entry) PutRaw(&out, *l.entry);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view page = fuzz::AsText(data, size);
  std::vector<app::BlockLine> blocks;
  try {
    blocks = app::ParseBlocksBinary(page);
  } catch (const std::invalid_argument&) {
    return 0;  // what the replicator catches: the page is refused
  }
  FUZZ_CHECK(Encode(blocks) == page);
  return 0;
}
