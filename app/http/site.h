// What every route and page of one node shares: who is calling (bearer tokens for the API,
// a server-side session for pages) and whether they may act on this node, the page
// templates, and how a page, a message or a redirect to sign in is sent. The node makes one
// Site and hands it to each part's routes. Thread-safe.
#pragma once

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/PartHandler.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/http/catalog.h"
#include "app/http/http.h"
#include "app/http/pages.h"
#include "app/http/tokens.h"

namespace app {

// The node as its pages and token checks see it.
struct SiteIdentity {
  std::string name;             // node.name: in every page's header
  std::string tax_id;           // the taxpayer's id; empty at the authority
  bool authority = false;       // the authority: auditors sign in, not employees
  bool secure_cookies = false;  // node.public_url is https: the session cookie is Secure
};

class Site {
 public:
  using Clock = std::function<uint64_t()>;  // Unix ms
  Site(SiteIdentity identity, TokenStore& tokens, const Templates& templates, Clock clock);

  const SiteIdentity& identity() const { return identity_; }
  TokenStore& tokens() { return tokens_; }
  const Templates& templates() const { return templates_; }
  uint64_t Now() const { return clock_(); }

  // The bearer token's principal if its role is one of `roles`: 401 without a valid token,
  // 403 with a token of another role or bound to another taxpayer.
  Principal Authorize(Exchange& ex, std::initializer_list<TokenRole> roles);
  // Whether the principal may act on this node: a merchant, employee or finance token only
  // on the node of the tax id it is bound to.
  bool ActsHere(const Principal& p) const;
  // The signed-in user of a page (the session named by the cookie), if any and if they act here.
  std::optional<Principal> PageUser(Exchange& ex);
  // The signed-in page user if their role is `role`; otherwise redirects to /login (coming
  // back here afterwards) and returns nullopt.
  std::optional<Principal> PageUserOrLogin(Exchange& ex, TokenRole role);

  // The language a person reads this page in: `?lang=` (which also sets a cookie), the
  // `lang` cookie, then Accept-Language; zh-CN by default.
  std::string Lang(Exchange& ex) const;
  // The catalog's text of `key` in the request's language.
  std::string Text(Exchange& ex, std::string_view key, Catalog::Args args = {}) const;
  // The catalog's word for a code in the request's language (Catalog::Word).
  std::string Word(Exchange& ex, std::string_view prefix, std::string_view code, std::string_view fallback_key = "") const;
  // A page's data: the catalog (`t`), its language, its title (the catalog's `title_key`),
  // the node's name, the navigation for the signed-in user and the language switch.
  PageData Page(Exchange& ex, std::string_view title_key, Catalog::Args args = {});
  // A page with the catalog's `key`.title as heading, `key`.text (with `args`) as message,
  // and optionally one link whose text is the catalog's `link_key`.
  void SendNotice(Exchange& ex, int status, std::string_view key, Catalog::Args args = {},
                  const std::string& link = "", std::string_view link_key = "");
  // An error page for a person (the error's status: 400, 401, 403, 404, 405, 409, 413, 422,
  // 503): the catalog's words for `error.<code>` (or the status), never the API's English.
  void SendErrorPage(Exchange& ex, int status, const std::string& code, const std::string& field);
  // Renders template `name` with `data` and sends it.
  void SendPage(Exchange& ex, int status, const std::string& name, const PageData& data) const;

  // GET and POST /login, POST /logout: employees and finance sign in at a taxpayer node,
  // auditors at the authority.
  void AddSessionRoutes(Router& r);

 private:
  Poco::Net::HTTPCookie SessionCookie(const std::string& value, int max_age_s) const;

  const SiteIdentity identity_;
  TokenStore& tokens_;
  const Templates& templates_;
  const Clock clock_;
};

// Sends `html` as text/html.
void SendHtml(Exchange& ex, int status, const std::string& html);
// Refuses (403 cross_site) a form post whose Origin names another site (defence in depth
// besides the session cookie's SameSite=Strict).
void SameOrigin(Exchange& ex);
// The request's form (urlencoded, or multipart with `parts` receiving the files); 400
// malformed_form when it cannot be read.
std::unique_ptr<Poco::Net::HTMLForm> FormOf(Exchange& ex, Poco::Net::PartHandler* parts = nullptr);
// A form value without the `space` characters around it (by default spaces and tabs, what
// a form's text field can hold).
std::string TrimmedField(std::string s, std::string_view space = " \t");
// For pasted values (a token, a QR code's link), which may carry line breaks too.
inline constexpr std::string_view kAnyWhiteSpace = " \t\r\n\v\f";

}  // namespace app
