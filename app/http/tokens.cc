#include "app/http/tokens.h"

#include <stdexcept>

#include "app/base/or_throw.h"
#include "app/base/secrets.h"
#include "invoice/credit_code.h"
#include "ledger/hash.h"

namespace app {
namespace {

const char* const kRoleNames[] = {"admin", "merchant", "employee", "finance", "auditor"};

// A token as Create makes them: "eit_" and 32 random bytes in lower-case hex.
bool WellFormed(const std::string& token) {
  return token.size() == 68 && token.rfind("eit_", 0) == 0 &&
         token.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
}

}  // namespace

std::optional<TokenRole> ParseTokenRole(const std::string& s) {
  for (int i = 0; i < 5; ++i)
    if (s == kRoleNames[i]) return static_cast<TokenRole>(i);
  return std::nullopt;
}

std::string TokenRoleName(TokenRole r) { return kRoleNames[static_cast<int>(r)]; }

std::unique_ptr<TokenStore> TokenStore::Open(const std::string& db_path) {
  auto db = ledger::sql::Db::Open(db_path, ledger::sql::Db::Mode::kReadWrite);
  OrThrow(db);
  ledger::Status s = (*db)->Exec(
      "CREATE TABLE IF NOT EXISTS app_token(hash BLOB PRIMARY KEY, role TEXT NOT NULL, tax_id TEXT NOT NULL, "
      "name TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID");
  OrThrow(s);
  s = (*db)->Exec(
      "CREATE TABLE IF NOT EXISTS app_session(hash BLOB PRIMARY KEY, token_hash BLOB NOT NULL, "
      "expires_ms INTEGER NOT NULL) WITHOUT ROWID");
  OrThrow(s);
  return std::unique_ptr<TokenStore>(new TokenStore(std::move(*db)));
}

std::string TokenStore::Create(TokenRole role, const std::string& tax_id, const std::string& name, uint64_t now_ms,
                               const std::string& value) {
  bool taxpayer_role = role == TokenRole::kMerchant || role == TokenRole::kEmployee || role == TokenRole::kFinance;
  if (taxpayer_role && !invoice::IsValidCreditCode(tax_id))
    throw std::invalid_argument("role " + TokenRoleName(role) + " needs --tax-id, a valid unified social credit code");
  if (!taxpayer_role && !tax_id.empty())
    throw std::invalid_argument("role " + TokenRoleName(role) + " is not bound to a tax id");
  if (role == TokenRole::kEmployee && name.empty()) throw std::invalid_argument("an employee token needs --name");
  if (!value.empty() && !WellFormed(value)) throw std::invalid_argument("the token to install is not one this platform made");
  std::string token = value.empty() ? "eit_" + RandomHex(32) : value;
  ledger::Hash h = ledger::Sha256(ledger::AsBytes(token));
  MutexLock lock(mu_);
  if (!value.empty() && PrincipalOfHash(h)) throw std::invalid_argument("this token is already installed here");
  auto st = db_->Prepare("INSERT INTO app_token(hash, role, tax_id, name, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  OrThrow(st);
  ledger::Status s = st->Bind(1, h.View()).Bind(2, TokenRoleName(role)).Bind(3, tax_id).Bind(4, name)
                         .Bind(5, static_cast<int64_t>(now_ms)).Run();
  OrThrow(s);
  return token;
}

std::optional<Principal> TokenStore::Authenticate(const std::string& token) {
  if (!WellFormed(token)) return std::nullopt;
  ledger::Hash h = ledger::Sha256(ledger::AsBytes(token));
  MutexLock lock(mu_);
  return PrincipalOfHash(h);
}

std::optional<std::string> TokenStore::StartSession(const std::string& token, uint64_t now_ms, uint64_t ttl_ms) {
  if (!Authenticate(token)) return std::nullopt;
  std::string id = "eis_" + RandomHex(32);
  MutexLock lock(mu_);
  auto purge = db_->Prepare("DELETE FROM app_session WHERE expires_ms < ?1");
  OrThrow(purge);
  OrThrow(purge->Bind(1, static_cast<int64_t>(now_ms)).Run());
  auto st = db_->Prepare("INSERT INTO app_session(hash, token_hash, expires_ms) VALUES (?1, ?2, ?3)");
  OrThrow(st);
  ledger::Hash sh = ledger::Sha256(ledger::AsBytes(id)), th = ledger::Sha256(ledger::AsBytes(token));
  if (auto s = st->Bind(1, sh.View()).Bind(2, th.View()).Bind(3, static_cast<int64_t>(now_ms + ttl_ms)).Run(); !s.ok())
    throw std::runtime_error(s.ToString());
  return id;
}

std::optional<Principal> TokenStore::SessionUser(const std::string& session_id, uint64_t now_ms) {
  if (session_id.size() != 68 || session_id.rfind("eis_", 0) != 0) return std::nullopt;
  ledger::Hash sh = ledger::Sha256(ledger::AsBytes(session_id));
  MutexLock lock(mu_);
  auto st = db_->Prepare("SELECT token_hash FROM app_session WHERE hash = ?1 AND expires_ms >= ?2");
  OrThrow(st);
  auto row = st->Bind(1, sh.View()).Bind(2, static_cast<int64_t>(now_ms)).Step();
  OrThrow(row);
  if (!*row || st->BlobSize(0) != 32) return std::nullopt;
  ledger::Hash th;
  std::copy(st->BlobData(0), st->BlobData(0) + 32, th.bytes.begin());
  st->Reset();
  return PrincipalOfHash(th);
}

void TokenStore::EndSession(const std::string& session_id) {
  ledger::Hash sh = ledger::Sha256(ledger::AsBytes(session_id));
  MutexLock lock(mu_);
  auto st = db_->Prepare("DELETE FROM app_session WHERE hash = ?1");
  OrThrow(st);
  OrThrow(st->Bind(1, sh.View()).Run());
}

std::optional<Principal> TokenStore::PrincipalOfHash(const ledger::Hash& h) {
  auto st = db_->Prepare("SELECT role, tax_id, name FROM app_token WHERE hash = ?1");
  OrThrow(st);
  auto row = st->Bind(1, h.View()).Step();
  OrThrow(row);
  if (!*row) return std::nullopt;
  auto role = ParseTokenRole(st->Text(0));
  if (!role) return std::nullopt;
  return Principal{*role, st->Text(1), st->Text(2)};
}

}  // namespace app
