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

// Signature types. The Ed25519 ones are the bytes signed-note assigns. An sm2-sm3 network
// signs with SM2 instead, under signed-note's 0xff ("types without an assigned byte"),
// followed by an identifier: kSm2 and kSm2Cosignature are our codes for those two, never
// written alone; TypeTag() gives the bytes that key IDs and verifier keys hold.
inline constexpr uint8_t kEd25519 = 0x01;  // signed-note signature type of plain Ed25519
inline constexpr uint8_t kCosignatureV1 = 0x04;  // c2sp.org/tlog-cosignature: timestamped Ed25519
inline constexpr uint8_t kSm2 = 0xf1;             // 0xff "einvoice/sm2-sm3": SM2 over the note text
inline constexpr uint8_t kSm2Cosignature = 0xf4;  // 0xff "einvoice/sm2-sm3-cosignature/v1": timestamped SM2
// The type's bytes: 0x01, 0x04, or 0xff followed by the identifier.
Bytes TypeTag(uint8_t type);
// The log's and a witness's signature types on the active suite's network.
uint8_t LogSignatureType(Suite suite = ActiveSuite());
uint8_t CosignatureType(Suite suite = ActiveSuite());
inline constexpr int kTileHeight = 8;      // hashes per full tile: 2^8
inline constexpr uint32_t kTileWidth = 256;

// Key names are non-empty, valid UTF-8, with no spaces and no '+'.
bool ValidKeyName(std::string_view name);
// H(name || 0x0A || TypeTag(type) || public key)[:4], H = SHA-256 for the Ed25519 types (as
// signed-note recommends) and SM3 for the SM2 ones.
uint32_t KeyId(std::string_view name, uint8_t type, ByteView public_key);

struct VerifierKey {
  std::string name;
  uint32_t id = 0;
  uint8_t type = kEd25519;
  Bytes public_key;  // 32 bytes for Ed25519, 65 for SM2
};
std::string FormatVerifierKey(std::string_view name, const PublicKeyBytes& key, uint8_t type);
// A log's verifier key: the type is the log signature of the key's suite.
std::string FormatVerifierKey(std::string_view name, const PublicKeyBytes& key);
// Parses "<name>+<hex id>+<base64(TypeTag(type) || key)>" for a log's key (0x01, or SM2) or
// a witness's cosigning key (0x04, or SM2's); checks the ID against name, type and key.
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

// A checkpoint of an sm2-sm3 network names its suite in its first extension line,
// "suite sm2-sm3" (its root is SM3's); an ed25519-sha256 one has no such line.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // other than the suite line
  Suite suite = ActiveSuite();
};
std::string FormatCheckpoint(const Checkpoint& c);  // the note text
// Refuses a checkpoint of another suite than the active one, naming both.
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
