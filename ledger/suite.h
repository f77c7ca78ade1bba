// The network's cryptographic suite: which hash builds the chain (leaves, interior nodes,
// block hashes, the QR code's invoice hash) and which signature signs it (entries, block
// headers, node requests, checkpoints, cosignatures). A network chooses it when its genesis
// block is made and never changes it; ledger/README.md "Suites" has the bytes of both.
//
//   ed25519-sha256  Ed25519 (RFC 8032) and SHA-256: the default.
//   sm2-sm3         SM2 (GM/T 0003, GB/T 32918) with SM3 and the distinguishing ID
//                   "1234567812345678", and SM3 (GM/T 0004, GB/T 32905).
//
// A process works on one network, so the suite is the process's: its entry point (einvoiced
// from its configuration, the CLI from the file it reads) calls UseSuite() before any chain
// code runs, and every hash and signature of this library follows ActiveSuite(). Every
// boundary where a chain's bytes come in (genesis, headers, entries, export files, peers'
// heads, checkpoints) names its suite and is refused when it is not the active one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace ledger {

enum class Suite : uint8_t { kEd25519Sha256 = 1, kSm2Sm3 = 2 };

inline constexpr Suite kDefaultSuite = Suite::kEd25519Sha256;
// The SM2 distinguishing ID of every SM2 signature on the chain (GM/T 0009's default).
inline constexpr std::string_view kSm2DistId = "1234567812345678";

std::string_view SuiteName(Suite s);  // "ed25519-sha256" or "sm2-sm3"
std::optional<Suite> ParseSuite(std::string_view name);

// The suite of this process's chain (kDefaultSuite until UseSuite is called). Thread-safe;
// switching while chain code runs elsewhere mixes suites, so only entry points and tests do.
Suite ActiveSuite();
void UseSuite(Suite s);

// The refusal of something of another suite, naming both:
// "<what> is sm2-sm3, this node's chain is ed25519-sha256".
Status SuiteMismatch(std::string_view what, Suite theirs);

}  // namespace ledger
