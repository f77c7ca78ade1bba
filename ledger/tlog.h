// The transparency-log formats of C2SP, over our RFC 6962/9162 tree (ledger/merkle.h), so
// that any tlog client can check the chain without our API (ledger/README.md, "Checkpoints
// and tiles"):
// - signed notes (c2sp.org/signed-note): a text, a blank line, and signature lines
//   "— <key name> <base64(key ID || signature)>"; Ed25519 (type 0x01) keys, whose key ID is
//   the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), big-endian; a
//   verifier key is written "<name>+<8 hex key ID>+<base64(0x01 || public key)>".
// - checkpoints (c2sp.org/tlog-checkpoint): the note text "<origin>\n<tree size>\n<base64
//   root>\n", signed by the authority under the origin's name.
// - tiles (c2sp.org/tlog-tiles): paths tile/<L>/<N>[.p/<W>], N in groups of 3 digits
//   ("x001/x234/067"), 256 hashes of 32 bytes to a full tile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/status.h"

namespace ledger::tlog {

inline constexpr uint8_t kEd25519 = 0x01;  // signed-note signature type of plain Ed25519
inline constexpr uint8_t kCosignatureV1 = 0x04;  // c2sp.org/tlog-cosignature: timestamped Ed25519
inline constexpr int kTileHeight = 8;      // hashes per full tile: 2^8
inline constexpr uint32_t kTileWidth = 256;

// Key names are non-empty, valid UTF-8, with no spaces and no '+'.
bool ValidKeyName(std::string_view name);
uint32_t KeyId(std::string_view name, uint8_t type, ByteView public_key);

struct VerifierKey {
  std::string name;
  uint32_t id = 0;
  uint8_t type = kEd25519;
  Bytes public_key;  // 32 bytes for Ed25519
};
std::string FormatVerifierKey(std::string_view name, const PublicKeyBytes& key, uint8_t type = kEd25519);
// Parses "<name>+<hex id>+<base64(type || key)>" for type 0x01 (a log's key) or 0x04 (a
// witness's cosigning key); checks the ID against name, type and key.
Result<VerifierKey> ParseVerifierKey(std::string_view vkey);

struct NoteSignature {
  std::string name;
  uint32_t id = 0;
  Bytes signature;  // without the key ID
};
struct Note {
  std::string text;  // ends in '\n'
  std::vector<NoteSignature> signatures;
};

// The note's text signed by `key` under `name`: text, blank line, one signature line.
// `text` must be a valid note text (ending in a newline, no control characters but newline).
std::string SignNote(std::string_view text, std::string_view name, const PrivateKey& key);
// One signature line ("— name base64\n") of `key` over `text`.
std::string SignatureLine(std::string_view text, std::string_view name, const PrivateKey& key);
// Splits a signed note (at its last blank line) and reads its signature lines; refuses
// malformed notes (control characters, bad lines, more than 100 signatures).
Result<Note> ParseNote(std::string_view message);
// Whether `note` carries a signature by `key` (same name and ID) that verifies; a signature
// by that key that does not verify is an error (the note must be refused). For a cosigning
// key (type 0x04) the signature is a cosignature of the checkpoint the note's text is.
Result<bool> VerifiedBy(const Note& note, const VerifierKey& key);

// c2sp.org/tlog-cosignature: a witness's signature line over a checkpoint's note text, made
// at `time_s` (POSIX seconds): key ID (of type 0x04) || u64 time || Ed25519 over
// "cosignature/v1\ntime <time_s>\n" followed by the text.
std::string CosignatureLine(std::string_view checkpoint_text, std::string_view name, const PrivateKey& key,
                            uint64_t time_s);
// The time of `key`'s cosignature in `note`, nullopt without one; an error if it does not verify.
Result<std::optional<uint64_t>> CosignatureTime(const Note& note, const VerifierKey& key);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
};
std::string FormatCheckpoint(const Checkpoint& c);  // the note text
// A tree size as the formats write it: decimal, no leading zeros (nullopt otherwise).
std::optional<uint64_t> ParseTreeSize(std::string_view s);
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// A tile (level, index, width; width 256 is a full tile) or an entry bundle.
struct TileRef {
  int level = 0;
  uint64_t index = 0;
  uint32_t width = kTileWidth;
  bool entries = false;
};
// "tile/0/x001/234" or "tile/1/000.p/17" or "tile/entries/005".
std::string TilePath(const TileRef& t);
// The reverse, for a path after "tile/"; refuses every other spelling (leading zeros, a
// width of 0 or 256 in .p/, levels over 63).
Result<TileRef> ParseTilePath(std::string_view path);

}  // namespace ledger::tlog
