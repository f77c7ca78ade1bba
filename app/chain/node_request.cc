#include "app/chain/node_request.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <charconv>

#include "app/base/or_throw.h"
#include "app/base/secrets.h"
#include "app/http/api_error.h"
#include "ledger/format.h"
#include "ledger/hash.h"
#include "ledger/sqlite_db.h"

namespace app {
namespace {

constexpr std::string_view kTextMagic = "EINODE2";

ApiError Unauthenticated(const std::string& why) { return ApiError(401, "unauthenticated", why); }

}  // namespace

std::string NodeRequestText(std::string_view method, std::string_view uri, std::string_view time, std::string_view nonce,
                            std::string_view body) {
  std::string text;
  text.reserve(kTextMagic.size() + method.size() + uri.size() + time.size() + nonce.size() + 70);
  text.append(kTextMagic).append("\n").append(method).append("\n").append(uri).append("\n").append(time);
  text.append("\n").append(nonce).append("\n").append(ledger::ChainHash(ledger::AsBytes(body)).Hex());
  return text;
}

std::string EncodeHeadHeader(const ledger::SignedHeader& head) {
  return ledger::ToHex(head.header.Encode()) + ledger::ToHex(head.signature);
}

std::optional<ledger::SignedHeader> DecodeHeadHeader(std::string_view value) {
  constexpr size_t kHeaderHex = 2 * ledger::format::kHeaderLen;
  if (value.size() != kHeaderHex + 2 * ledger::format::kSignatureLen) return std::nullopt;
  auto header = ledger::FromHex(value.substr(0, kHeaderHex));
  auto sig = ledger::FromHex(value.substr(kHeaderHex));
  if (!header || !sig) return std::nullopt;
  auto decoded = ledger::BlockHeader::Decode(*header);
  if (!decoded.ok()) return std::nullopt;
  ledger::SignedHeader h;
  h.header = *decoded;
  std::copy(sig->begin(), sig->end(), h.signature.begin());
  return h;
}

NodeRequestSigner::NodeRequestSigner(std::string node_id, const ledger::PrivateKey& key, Clock clock, HeadSource head)
    : node_id_(std::move(node_id)), key_(key), clock_(std::move(clock)), head_(std::move(head)) {}

std::map<std::string, std::string> NodeRequestSigner::Headers(std::string_view method, std::string_view uri,
                                                              std::string_view body) const {
  std::string time = std::to_string(clock_());
  std::string nonce = RandomHex(16);
  std::map<std::string, std::string> h;
  h["X-Node-Id"] = node_id_;
  h["X-Node-Time"] = time;
  h["X-Node-Nonce"] = nonce;
  h["X-Node-Signature"] = ledger::ToHex(key_.Sign(ledger::AsBytes(NodeRequestText(method, uri, time, nonce, body))));
  if (head_)
    if (auto head = head_()) h["X-Node-Head"] = EncodeHeadHeader(*head);
  return h;
}

void NodeRequestSigner::Sign(Poco::Net::HTTPRequest& req, std::string_view body) const {
  for (const auto& [k, v] : Headers(req.getMethod(), req.getURI(), body)) req.set(k, v);
}

NodeAnswer SendSigned(Poco::Net::HTTPClientSession& session, const NodeRequestSigner& signer, const std::string& method,
                      const std::string& uri, const std::string& body, bool keep_alive) {
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setKeepAlive(keep_alive);
  if (!body.empty() || method == Poco::Net::HTTPRequest::HTTP_POST) {
    req.setContentType("application/json");
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  signer.Sign(req, body);
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  NodeAnswer answer;
  answer.status = static_cast<int>(resp.getStatus());
  // A page of blocks is megabytes: read into one allocation, not a string doubling (a length
  // beyond 64 MB is not trusted for that; the body is read all the same).
  if (resp.hasContentLength() && resp.getContentLength64() > 0 && resp.getContentLength64() <= (Poco::Int64{64} << 20))
    answer.body.reserve(static_cast<size_t>(resp.getContentLength64()));
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

NodeRequestVerifier::NodeRequestVerifier(KeyOf key_of, Clock clock, std::unique_ptr<NonceJournal> journal)
    : key_of_(std::move(key_of)), clock_(std::move(clock)), journal_(std::move(journal)) {
  if (!journal_) return;
  for (auto& [key, expires] : journal_->Load(clock_())) {
    seen_.insert(key);
    expiry_.emplace(expires, std::move(key));
  }
}

NodeRequestVerifier::Caller NodeRequestVerifier::Verify(std::string_view method, std::string_view uri,
                                                        const Poco::Net::MessageHeader& headers, std::string_view body,
                                                        bool once) {
  // Copies: get() returns a reference to its default argument when the header is missing, a
  // temporary gone at the end of the statement.
  const std::string node = headers.get("X-Node-Id", "");
  const std::string time = headers.get("X-Node-Time", "");
  const std::string nonce = headers.get("X-Node-Nonce", "");
  if (node.empty()) throw Unauthenticated("X-Node-Id must name a registered node");
  uint64_t t = 0;
  auto [end, ec] = std::from_chars(time.data(), time.data() + time.size(), t);
  if (time.empty() || ec != std::errc() || end != time.data() + time.size())
    throw Unauthenticated("X-Node-Time must be Unix milliseconds");
  const uint64_t now = clock_();
  if (t + kNodeRequestWindowMs < now || t > now + kNodeRequestWindowMs)
    throw Unauthenticated("X-Node-Time is more than 5 minutes off this node's clock");
  if (nonce.size() < 16 || nonce.size() > 64 || !ledger::FromHex(nonce))
    throw Unauthenticated("X-Node-Nonce must be 16..64 hex digits");
  auto sig = ledger::FromHex(headers.get("X-Node-Signature", ""));
  std::optional<ledger::PublicKeyBytes> key = key_of_(node);
  if (!key || !sig) throw Unauthenticated("X-Node-Id must name a registered node and X-Node-Signature sign the request");
  if (!ledger::VerifySignature(*key, ledger::AsBytes(NodeRequestText(method, uri, time, nonce, body)), *sig))
    throw Unauthenticated("X-Node-Signature does not verify with the node's registered key");
  Caller caller{node, std::nullopt};
  if (headers.has("X-Node-Head")) caller.head = DecodeHeadHeader(headers.get("X-Node-Head"));
  if (!once) return caller;
  MutexLock lock(mu_);
  while (!expiry_.empty() && expiry_.top().first < now) {
    seen_.erase(expiry_.top().second);
    expiry_.pop();
  }
  std::string key_of_request = node + "/" + nonce;
  if (seen_.count(key_of_request))
    throw ApiError(409, "replayed", "this signed request was received before; a node signs each request anew");
  if (seen_.size() >= kMaxRemembered)
    throw ApiError(503, "busy", "too many signed requests in the last minutes; try again shortly");
  const uint64_t expires = t + kNodeRequestWindowMs;
  if (journal_) {
    try {
      if (++added_since_expiry_ >= 1000) {
        journal_->Expire(now);
        added_since_expiry_ = 0;
      }
      journal_->Add(key_of_request, expires);
    } catch (const std::exception&) {
      throw ApiError(503, "unavailable", "the request could not be recorded; nothing was done");
    }
  }
  seen_.insert(key_of_request);
  expiry_.emplace(expires, std::move(key_of_request));
  return caller;
}

namespace {

class SqliteNonceJournal : public NonceJournal {
 public:
  explicit SqliteNonceJournal(std::unique_ptr<ledger::sql::Db> db) : db_(std::move(db)) {
    OrThrow(db_->Exec("PRAGMA synchronous=NORMAL;"));
    OrThrow(db_->Exec("CREATE TABLE IF NOT EXISTS node_nonce(key TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID"));
  }
  std::vector<std::pair<std::string, uint64_t>> Load(uint64_t now_ms) override {
    std::vector<std::pair<std::string, uint64_t>> out;
    auto st = db_->Prepare("SELECT key, expires_ms FROM node_nonce WHERE expires_ms >= ?1");
    OrThrow(st);
    st->Bind(1, static_cast<int64_t>(now_ms));
    for (auto row = st->Step(); row.ok() && *row; row = st->Step())
      out.emplace_back(st->Text(0), static_cast<uint64_t>(st->Int(1)));
    return out;
  }
  void Add(const std::string& key, uint64_t expires_ms) override {
    auto st = db_->Prepare("INSERT OR REPLACE INTO node_nonce(key, expires_ms) VALUES (?1, ?2)");
    OrThrow(st);
    OrThrow(st->Bind(1, key).Bind(2, static_cast<int64_t>(expires_ms)).Run());
  }
  void Expire(uint64_t now_ms) override {
    auto st = db_->Prepare("DELETE FROM node_nonce WHERE expires_ms < ?1");
    OrThrow(st);
    OrThrow(st->Bind(1, static_cast<int64_t>(now_ms)).Run());
  }

 private:
  std::unique_ptr<ledger::sql::Db> db_;
};

}  // namespace

std::unique_ptr<NonceJournal> OpenNonceJournal(const std::string& path) {
  auto db = ledger::sql::Db::Open(path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db, path);
  return std::make_unique<SqliteNonceJournal>(std::move(*db));
}

}  // namespace app
