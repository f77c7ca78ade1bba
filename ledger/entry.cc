#include "ledger/entry.h"

#include <algorithm>

#include "ledger/codec.h"
#include "ledger/format.h"

namespace ledger {
namespace {

bool KindChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }
bool SubmitterChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Status Entry::CheckFields(const std::string& kind, const std::string& submitter, size_t payload_len) {
  if (kind.empty() || kind.size() > format::kMaxKindLen || !std::all_of(kind.begin(), kind.end(), KindChar))
    return Status::InvalidArgument("entry kind must be 1..32 of [a-z0-9_.]");
  if (submitter.empty() || submitter.size() > format::kMaxSubmitterLen ||
      !std::all_of(submitter.begin(), submitter.end(), SubmitterChar))
    return Status::InvalidArgument("entry submitter must be 1..64 of [0-9A-Za-z_.-]");
  if (payload_len > format::kMaxPayloadLen) return Status::InvalidArgument("entry payload over 1 MiB");
  return Status::Ok();
}

Bytes Entry::SignedPart() const {
  Bytes out;
  out.reserve(4 + 2 + kind.size() + submitter.size() + submitter_key.size() + 4 + payload.size());
  Writer w(&out);
  w.Raw(ByteView(format::EntryMagic(ActiveSuite()), 4));
  w.U8(static_cast<uint8_t>(kind.size()));
  w.Raw(AsBytes(kind));
  w.U8(static_cast<uint8_t>(submitter.size()));
  w.Raw(AsBytes(submitter));
  w.Raw(submitter_key);
  w.U32(static_cast<uint32_t>(payload.size()));
  w.Raw(payload);
  return out;
}

Bytes Entry::Encode() const {
  Bytes out = SignedPart();
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

bool Entry::SignatureValid() const {
  Bytes msg = SignedPart();
  return VerifySignature(submitter_key, msg, signature);
}

Result<Entry> Entry::Make(std::string kind, std::string submitter, Bytes payload, const PrivateKey& key) {
  if (Status s = CheckFields(kind, submitter, payload.size()); !s.ok()) return s;
  Entry e;
  e.kind = std::move(kind);
  e.submitter = std::move(submitter);
  if (Status s = key.CheckSuite("the signing key"); !s.ok()) return s;
  e.submitter_key = key.public_key();
  e.payload = std::move(payload);
  e.signature = key.Sign(e.SignedPart());
  return e;
}

Result<Entry> Entry::Decode(ByteView bytes) {
  Reader r(bytes);
  uint8_t magic[4], len8 = 0;
  uint32_t payload_len = 0;
  Entry e;
  if (!r.Raw(4, magic)) return Status::Corruption("entry: bad magic");
  std::optional<Suite> suite = format::SuiteOfMagic(magic, format::kEntryMagic);
  if (!suite) return Status::Corruption("entry: bad magic");
  if (*suite != ActiveSuite()) return Status::Corruption("entry: " + SuiteMismatch("the entry", *suite).message());
  if (!r.U8(&len8) || r.remaining() < len8) return Status::Corruption("entry: truncated kind");
  e.kind.resize(len8);
  r.Raw(len8, reinterpret_cast<uint8_t*>(e.kind.data()));
  if (!r.U8(&len8) || r.remaining() < len8) return Status::Corruption("entry: truncated submitter");
  e.submitter.resize(len8);
  r.Raw(len8, reinterpret_cast<uint8_t*>(e.submitter.data()));
  e.submitter_key.resize(PublicKeyLen(*suite));
  if (!r.Raw(e.submitter_key.size(), e.submitter_key.data()) || !SuiteOfKey(e.submitter_key))
    return Status::Corruption("entry: truncated key");
  if (!r.U32(&payload_len) || payload_len > format::kMaxPayloadLen || r.remaining() < payload_len)
    return Status::Corruption("entry: bad payload length");
  e.payload.resize(payload_len);
  r.Raw(payload_len, e.payload.data());
  if (!r.Raw(64, e.signature.data())) return Status::Corruption("entry: truncated signature");
  if (r.remaining() != 0) return Status::Corruption("entry: trailing bytes");
  if (Status s = CheckFields(e.kind, e.submitter, e.payload.size()); !s.ok())
    return Status::Corruption("entry: " + s.message());
  return e;
}

}  // namespace ledger
