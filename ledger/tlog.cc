#include "ledger/tlog.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace ledger::tlog {
namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 and a space: a signature line's start
constexpr size_t kMaxSignatures = 100;

// Valid UTF-8 (no overlongs, no surrogates) without control characters but '\n'.
bool CleanText(std::string_view s, bool allow_newline) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && !(allow_newline && c == '\n')) || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > s.size()) return false;
    uint32_t cp = c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

bool ValidKeyName(std::string_view name) {
  if (name.empty() || !CleanText(name, false)) return false;
  // No spaces (ASCII or the Unicode ones a UTF-8 name could hold in our texts) and no '+'.
  for (std::string_view bad : {" ", "+", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82",
                               "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87",
                               "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9",
                               "\xE2\x80\xAF", "\xE2\x81\x9F", "\xC2\x85", "\xE1\x9A\x80"})
    if (name.find(bad) != std::string_view::npos) return false;
  return true;
}

namespace {

constexpr std::string_view kSm2Id = "einvoice/sm2-sm3";
constexpr std::string_view kSm2CosignatureId = "einvoice/sm2-sm3-cosignature/v1";
constexpr std::string_view kSuiteLine = "suite ";

bool IsSm2Type(uint8_t type) { return type == kSm2 || type == kSm2Cosignature; }
bool IsCosignature(uint8_t type) { return type == kCosignatureV1 || type == kSm2Cosignature; }
Suite SuiteOfType(uint8_t type) { return IsSm2Type(type) ? Suite::kSm2Sm3 : Suite::kEd25519Sha256; }

}  // namespace

Bytes TypeTag(uint8_t type) {
  if (!IsSm2Type(type)) return Bytes{type};
  std::string_view id = type == kSm2 ? kSm2Id : kSm2CosignatureId;
  Bytes tag{0xff};
  tag.insert(tag.end(), id.begin(), id.end());
  return tag;
}

uint8_t LogSignatureType(Suite suite) { return suite == Suite::kSm2Sm3 ? kSm2 : kEd25519; }
uint8_t CosignatureType(Suite suite) { return suite == Suite::kSm2Sm3 ? kSm2Cosignature : kCosignatureV1; }

uint32_t KeyId(std::string_view name, uint8_t type, ByteView public_key) {
  Bytes m(name.begin(), name.end());
  m.push_back('\n');
  Bytes tag = TypeTag(type);
  m.insert(m.end(), tag.begin(), tag.end());
  m.insert(m.end(), public_key.begin(), public_key.end());
  Hash h = IsSm2Type(type) ? Sm3(m) : Sha256(m);
  return (uint32_t{h.bytes[0]} << 24) | (uint32_t{h.bytes[1]} << 16) | (uint32_t{h.bytes[2]} << 8) | h.bytes[3];
}

std::string FormatVerifierKey(std::string_view name, const PublicKeyBytes& key, uint8_t type) {
  Bytes typed = TypeTag(type);
  typed.insert(typed.end(), key.begin(), key.end());
  return std::string(name) + "+" + Hex8(KeyId(name, type, key)) + "+" + ToBase64(typed);
}

std::string FormatVerifierKey(std::string_view name, const PublicKeyBytes& key) {
  return FormatVerifierKey(name, key, LogSignatureType(SuiteOfKey(key).value_or(Suite::kEd25519Sha256)));
}

Result<VerifierKey> ParseVerifierKey(std::string_view vkey) {
  size_t a = vkey.find('+');
  size_t b = a == std::string_view::npos ? a : vkey.find('+', a + 1);
  if (b == std::string_view::npos) return Status::InvalidArgument("a verifier key is <name>+<key ID>+<key>");
  // (The key's base64 may hold '+' itself: the name and the ID end at the first two.)
  VerifierKey k;
  k.name = std::string(vkey.substr(0, a));
  std::string_view id = vkey.substr(a + 1, b - a - 1);
  if (!ValidKeyName(k.name)) return Status::InvalidArgument("invalid key name");
  auto id_bytes = FromHex(id);
  if (id.size() != 8 || !id_bytes || ToHex(*id_bytes) != id) return Status::InvalidArgument("the key ID is 8 lowercase hex digits");
  k.id = (uint32_t{(*id_bytes)[0]} << 24) | (uint32_t{(*id_bytes)[1]} << 16) | (uint32_t{(*id_bytes)[2]} << 8) | (*id_bytes)[3];
  auto typed = FromBase64(vkey.substr(b + 1));
  if (!typed || typed->empty()) return Status::InvalidArgument("the key is not base64");
  k.type = (*typed)[0];
  size_t tag_len = 1;
  if (k.type == 0xff) {
    for (uint8_t t : {kSm2, kSm2Cosignature}) {
      Bytes tag = TypeTag(t);
      if (typed->size() >= tag.size() && std::equal(tag.begin(), tag.end(), typed->begin())) {
        k.type = t;
        tag_len = tag.size();
      }
    }
  }
  k.public_key.assign(typed->begin() + static_cast<long>(tag_len), typed->end());
  if (k.type != kEd25519 && k.type != kCosignatureV1 && !IsSm2Type(k.type))
    return Status::InvalidArgument("unknown signature type " + std::to_string(k.type));
  if (SuiteOfKey(k.public_key) != SuiteOfType(k.type))
    return Status::InvalidArgument(IsSm2Type(k.type) ? "an SM2 key has 65 bytes (0x04 || X || Y)"
                                                      : "an Ed25519 key has 32 bytes");
  if (KeyId(k.name, k.type, k.public_key) != k.id) return Status::InvalidArgument("the key ID does not match the key");
  return k;
}

std::string SignatureLine(std::string_view text, std::string_view name, const PrivateKey& key) {
  const uint32_t id = KeyId(name, key.suite() == Suite::kSm2Sm3 ? kSm2 : kEd25519, key.public_key());
  SignatureBytes sig = key.Sign(AsBytes(text));
  Bytes raw{static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16), static_cast<uint8_t>(id >> 8),
            static_cast<uint8_t>(id)};
  raw.insert(raw.end(), sig.begin(), sig.end());
  return std::string(kDash) + std::string(name) + " " + ToBase64(raw) + "\n";
}

std::string SignNote(std::string_view text, std::string_view name, const PrivateKey& key) {
  return std::string(text) + "\n" + SignatureLine(text, name, key);
}

Result<Note> ParseNote(std::string_view message) {
  if (!CleanText(message, true)) return Status::InvalidArgument("a note is UTF-8 without control characters but newlines");
  size_t split = message.rfind("\n\n");
  if (split == std::string_view::npos) return Status::InvalidArgument("a note has a blank line before its signatures");
  Note note;
  note.text = std::string(message.substr(0, split + 1));
  std::string_view sigs = message.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return Status::InvalidArgument("a note ends with signature lines");
  while (!sigs.empty()) {
    size_t end = sigs.find('\n');
    std::string_view line = sigs.substr(0, end);
    sigs.remove_prefix(end + 1);
    if (line.substr(0, kDash.size()) != kDash) return Status::InvalidArgument("a signature line starts with an em dash and a space");
    line.remove_prefix(kDash.size());
    size_t space = line.find(' ');
    if (space == std::string_view::npos) return Status::InvalidArgument("a signature line is <name> <signature>");
    NoteSignature s;
    s.name = std::string(line.substr(0, space));
    if (!ValidKeyName(s.name)) return Status::InvalidArgument("invalid key name in a signature line");
    auto raw = FromBase64(line.substr(space + 1));
    if (!raw || raw->size() < 5) return Status::InvalidArgument("a signature is base64 of a key ID and the signature");
    s.id = (uint32_t{(*raw)[0]} << 24) | (uint32_t{(*raw)[1]} << 16) | (uint32_t{(*raw)[2]} << 8) | (*raw)[3];
    s.signature.assign(raw->begin() + 4, raw->end());
    note.signatures.push_back(std::move(s));
    if (note.signatures.size() > kMaxSignatures) return Status::InvalidArgument("too many signatures");
  }
  return note;
}

namespace {

std::string CosignedMessage(std::string_view text, uint64_t time_s) {
  return "cosignature/v1\ntime " + std::to_string(time_s) + "\n" + std::string(text);
}

}  // namespace

Result<std::optional<uint64_t>> CosignatureTime(const Note& note, const VerifierKey& key) {
  std::optional<uint64_t> time;
  for (const NoteSignature& s : note.signatures) {
    if (s.name != key.name || s.id != key.id) continue;  // another key's: ignored
    const Suite suite = SuiteOfType(key.type);
    if (SuiteOfKey(key.public_key) != suite) return Status::InvalidArgument("the key does not fit its type");
    bool ok = false;
    uint64_t t = 0;
    if (!IsCosignature(key.type)) {
      ok = s.signature.size() == 64 && VerifySignature(suite, key.public_key, AsBytes(note.text), s.signature);
    } else if (s.signature.size() == 72) {
      for (int i = 0; i < 8; ++i) t = (t << 8) | s.signature[i];
      ok = t < (uint64_t{1} << 63) && VerifySignature(suite, key.public_key, AsBytes(CosignedMessage(note.text, t)),
                                                      ByteView(s.signature.data() + 8, 64));
    }
    if (!ok) return Status::Corruption("the signature of " + key.name + " does not verify");
    time = t;
  }
  return time;
}

Result<bool> VerifiedBy(const Note& note, const VerifierKey& key) {
  auto t = CosignatureTime(note, key);
  if (!t.ok()) return t.status();
  return t->has_value();
}

std::string CosignatureLine(std::string_view checkpoint_text, std::string_view name, const PrivateKey& key,
                            uint64_t time_s) {
  const uint32_t id = KeyId(name, key.suite() == Suite::kSm2Sm3 ? kSm2Cosignature : kCosignatureV1, key.public_key());
  SignatureBytes sig = key.Sign(AsBytes(CosignedMessage(checkpoint_text, time_s)));
  Bytes raw{static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16), static_cast<uint8_t>(id >> 8),
            static_cast<uint8_t>(id)};
  for (int i = 7; i >= 0; --i) raw.push_back(static_cast<uint8_t>(time_s >> (8 * i)));
  raw.insert(raw.end(), sig.begin(), sig.end());
  return std::string(kDash) + std::string(name) + " " + ToBase64(raw) + "\n";
}

std::optional<uint64_t> ParseTreeSize(std::string_view s) { return ParseDecimal(s); }

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string s = c.origin + "\n" + std::to_string(c.size) + "\n" + ToBase64(c.root.View()) + "\n";
  if (c.suite != Suite::kEd25519Sha256) s += std::string(kSuiteLine) + std::string(SuiteName(c.suite)) + "\n";
  for (const std::string& e : c.extensions) s += e + "\n";
  return s;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') return Status::InvalidArgument("a checkpoint ends in a newline");
  std::vector<std::string_view> lines;
  for (std::string_view rest = text.substr(0, text.size() - 1);;) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return Status::InvalidArgument("a checkpoint has an origin, a size and a root");
  for (std::string_view l : lines)
    if (l.empty()) return Status::InvalidArgument("a checkpoint has no empty lines");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  auto size = ParseDecimal(lines[1]);
  if (!size) return Status::InvalidArgument("the tree size is a decimal without leading zeros");
  c.size = *size;
  auto root = FromBase64(lines[2]);
  if (!root || root->size() != 32) return Status::InvalidArgument("the root is base64 of 32 bytes");
  std::copy(root->begin(), root->end(), c.root.bytes.begin());
  size_t first = 3;
  c.suite = Suite::kEd25519Sha256;
  if (lines.size() > 3 && lines[3].substr(0, kSuiteLine.size()) == kSuiteLine) {
    std::optional<Suite> named = ParseSuite(lines[3].substr(kSuiteLine.size()));
    if (!named || *named == Suite::kEd25519Sha256)
      return Status::InvalidArgument("the checkpoint names an unknown suite");
    c.suite = *named;
    first = 4;
  }
  if (c.suite != ActiveSuite()) return SuiteMismatch("the checkpoint", c.suite);
  for (size_t i = first; i < lines.size(); ++i) c.extensions.emplace_back(lines[i]);
  return c;
}

std::string TilePath(const TileRef& t) {
  auto index = [](uint64_t n) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
    std::string s = buf;
    while (n >= 1000) {
      n /= 1000;
      std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(n % 1000));
      s = buf + s;
    }
    return s;
  };
  std::string p = "tile/" + (t.entries ? std::string("entries") : std::to_string(t.level)) + "/" + index(t.index);
  if (t.width < kTileWidth) p += ".p/" + std::to_string(t.width);
  return p;
}

Result<TileRef> ParseTilePath(std::string_view path) {
  auto bad = [&] { return Status::InvalidArgument("not a tile path: tile/<level>/<index>[.p/<width>]"); };
  const std::string original(path);
  if (path.substr(0, 5) != "tile/") return bad();
  path.remove_prefix(5);
  TileRef t;
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return bad();
  std::string_view level = path.substr(0, slash);
  path.remove_prefix(slash + 1);
  if (level == "entries") {
    t.entries = true;
  } else {
    auto l = ParseDecimal(level);
    if (!l || *l > 63) return bad();
    t.level = static_cast<int>(*l);
  }
  // The width, if any.
  if (size_t p = path.find(".p/"); p != std::string_view::npos) {
    auto w = ParseDecimal(path.substr(p + 3));
    if (!w || *w == 0 || *w >= kTileWidth) return bad();
    t.width = static_cast<uint32_t>(*w);
    path = path.substr(0, p);
  }
  // The index: "x001/x234/067".
  uint64_t n = 0;
  int groups = 0;
  while (true) {
    slash = path.find('/');
    std::string_view group = path.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (!last) {
      if (group.size() != 4 || group[0] != 'x') return bad();
      group.remove_prefix(1);
    }
    if (group.size() != 3) return bad();
    for (char c : group)
      if (c < '0' || c > '9') return bad();
    if (++groups > 7) return bad();
    n = n * 1000 + static_cast<uint64_t>(std::stoi(std::string(group)));
    if (last) break;
    path.remove_prefix(slash + 1);
  }
  t.index = n;
  if (TilePath(t) != original) return bad();  // one spelling per tile (no "x000/", no "00")
  return t;
}

}  // namespace ledger::tlog
