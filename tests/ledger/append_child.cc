// The crash test's child: opens (or creates) a chain and seals blocks of 1..40 entries in a
// loop, as fast as it can. After each Seal() returns it writes "ack HEIGHT BLOCKHASH\n" to
// stdout with one write(2), so whatever the parent reads was acknowledged. Runs until killed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "ledger/block_store.h"
#include "ledger/entry.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB SEED\n", argv[0]);
    return 2;
  }
  if (const char* suite = std::getenv("EINVOICE_SUITE"); suite != nullptr && ledger::ParseSuite(suite))
    ledger::UseSuite(*ledger::ParseSuite(suite));  // the parent's (tests/suite_main.cc)
  std::array<uint8_t, 32> seed{};
  seed.fill(1);
  auto authority = ledger::PrivateKey::FromSeed(seed);
  seed.fill(2);
  auto node = ledger::PrivateKey::FromSeed(seed);
  auto store = ledger::BlockStore::Open(argv[1], authority->public_key());
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  if (auto g = (*store)->InitGenesis(*authority, 1); !g.ok()) return 1;
  std::mt19937_64 rng(std::stoull(argv[2]));
  for (uint64_t n = 0;; ++n) {
    std::vector<ledger::Bytes> entries;
    int count = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      std::string payload = std::string(argv[2]) + "/" + std::to_string(n) + "/" + std::to_string(i);
      entries.push_back(ledger::Entry::Make("issue", "child", ledger::Bytes(payload.begin(), payload.end()), *node)->Encode());
    }
    auto sealed = (*store)->Seal(entries, 1000 + n, *authority);
    if (!sealed.ok()) {
      std::fprintf(stderr, "seal: %s\n", sealed.status().ToString().c_str());
      return 1;
    }
    std::string line = "ack " + std::to_string(sealed->head.header.height) + " " +
                       sealed->head.header.BlockHash().Hex() + "\n";
    if (write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  }
}
