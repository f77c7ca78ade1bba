// Bearer tokens (contract section 2): random 256-bit secrets shown once at creation and
// stored only as their SHA-256, each bound to a role and, for taxpayer roles, a tax id
// (and for employees a person's name). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/base/mutex.h"
#include "ledger/sqlite_db.h"

namespace app {

enum class TokenRole { kAdmin, kMerchant, kEmployee, kFinance, kAuditor };

struct Principal {
  TokenRole role = TokenRole::kAdmin;
  std::string tax_id;  // merchant, employee, finance
  std::string name;    // employee: the person; others: a label
};

std::optional<TokenRole> ParseTokenRole(const std::string& s);
std::string TokenRoleName(TokenRole r);

class TokenStore {
 public:
  // Opens the token table in the node's database (creating it if needed).
  static std::unique_ptr<TokenStore> Open(const std::string& db_path);

  // Creates a token; throws std::invalid_argument when the binding does not fit the role
  // (a taxpayer role without a valid tax id, an employee without a name). `value`: install
  // this token (made on another node: an authority group's members share their tokens)
  // instead of a new one; std::invalid_argument if it is malformed or already here.
  std::string Create(TokenRole role, const std::string& tax_id, const std::string& name, uint64_t now_ms,
                     const std::string& value = "");
  std::optional<Principal> Authenticate(const std::string& token);

  // Page sessions (sign-in with a token): a random id for the cookie, stored only as its
  // SHA-256 with its token and expiry, so the cookie never holds the token itself and
  // signing out ends the session on the server. Expired sessions are purged as new ones
  // are made.
  std::optional<std::string> StartSession(const std::string& token, uint64_t now_ms, uint64_t ttl_ms);
  std::optional<Principal> SessionUser(const std::string& session_id, uint64_t now_ms);
  void EndSession(const std::string& session_id);

 private:
  explicit TokenStore(std::unique_ptr<ledger::sql::Db> db) : db_(std::move(db)) {}
  std::optional<Principal> PrincipalOfHash(const ledger::Hash& token_hash) REQUIRES(mu_);
  Mutex mu_;  // taken alone
  std::unique_ptr<ledger::sql::Db> db_ PT_GUARDED_BY(mu_);
};

}  // namespace app
