#include "app/http/site.h"

#include <Poco/Net/NameValueCollection.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

#include "app/http/api_error.h"

namespace app {
namespace {

constexpr const char* kSessionCookie = "einvoice_session";
constexpr const char* kLangCookie = "lang";
constexpr uint64_t kSessionMs = 12 * 3600 * 1000;  // a sign-in lasts a working day

// A local path to return to after signing in; anything else goes to `home`.
std::string SafeNext(const std::string& next, const std::string& home) {
  if (next.size() > 1 && next[0] == '/' && next[1] != '/' && next[1] != '\\' &&
      next.find_first_of("\r\n") == std::string::npos)
    return next;
  return home;
}

}  // namespace

void SendHtml(Exchange& ex, int status, const std::string& html) { ex.Send(status, "text/html; charset=utf-8", html); }

void SameOrigin(Exchange& ex) {
  std::string origin = ex.request().get("Origin", "");
  if (origin.empty() || origin == "null") return;
  Poco::URI o(origin);
  std::string want = o.getHost();
  if (o.getSpecifiedPort()) want += ":" + std::to_string(o.getSpecifiedPort());
  if (ex.request().getHost() != want) throw ApiError(403, "cross_site", "this form may only be posted from this site");
}

std::unique_ptr<Poco::Net::HTMLForm> FormOf(Exchange& ex, Poco::Net::PartHandler* parts) {
  std::istringstream body(ex.Body());
  auto form = std::make_unique<Poco::Net::HTMLForm>();
  try {
    if (parts) form->load(ex.request(), body, *parts);
    else form->load(ex.request(), body);
  } catch (const Poco::Exception&) {
    throw ApiError::BadRequest("malformed_form", "the form could not be read");
  }
  return form;
}

std::string TrimmedField(std::string s, std::string_view space) {
  size_t end = s.find_last_not_of(space);
  if (end == std::string::npos) return "";
  return s.substr(s.find_first_not_of(space), end + 1 - s.find_first_not_of(space));
}

Site::Site(SiteIdentity identity, TokenStore& tokens, const Templates& templates, Clock clock)
    : identity_(std::move(identity)), tokens_(tokens), templates_(templates), clock_(std::move(clock)) {}

Principal Site::Authorize(Exchange& ex, std::initializer_list<TokenRole> roles) {
  // A copy: get() returns a reference to its default argument when the header is missing.
  const std::string header = ex.request().get("Authorization", "");
  if (header.rfind("Bearer ", 0) != 0) throw ApiError(401, "unauthenticated", "an Authorization: Bearer token is required");
  auto who = tokens_.Authenticate(header.substr(7));
  if (!who) throw ApiError(401, "unauthenticated", "the bearer token is not valid on this node");
  bool role_ok = false;
  for (TokenRole r : roles) role_ok = role_ok || who->role == r;
  if (!role_ok) throw ApiError(403, "forbidden", "a " + TokenRoleName(who->role) + " token may not do this");
  if (!ActsHere(*who)) throw ApiError(403, "forbidden", "the token is bound to another taxpayer than this node's");
  return *who;
}

bool Site::ActsHere(const Principal& p) const {
  switch (p.role) {
    case TokenRole::kMerchant:
    case TokenRole::kEmployee:
    case TokenRole::kFinance:
      return !identity_.authority && p.tax_id == identity_.tax_id;
    case TokenRole::kAdmin:
    case TokenRole::kAuditor:
      return true;
  }
  return false;
}

std::optional<Principal> Site::PageUser(Exchange& ex) {
  Poco::Net::NameValueCollection cookies;
  ex.request().getCookies(cookies);
  std::string session = cookies.get(kSessionCookie, "");
  if (session.empty()) return std::nullopt;
  auto who = tokens_.SessionUser(session, Now());
  if (!who || !ActsHere(*who)) return std::nullopt;
  return who;
}

std::optional<Principal> Site::PageUserOrLogin(Exchange& ex, TokenRole role) {
  auto who = PageUser(ex);
  if (who && who->role == role) return who;
  std::string next;
  Poco::URI::encode(Poco::URI(ex.request().getURI()).getPathAndQuery(), "&?=#+%", next);
  ex.Redirect("/login?next=" + next);
  return std::nullopt;
}

Poco::Net::HTTPCookie Site::SessionCookie(const std::string& value, int max_age_s) const {
  Poco::Net::HTTPCookie cookie(kSessionCookie, value);
  cookie.setPath("/");
  cookie.setHttpOnly(true);
  cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_STRICT);
  cookie.setSecure(identity_.secure_cookies);
  cookie.setMaxAge(max_age_s);
  return cookie;
}

void Site::SendPage(Exchange& ex, int status, const std::string& name, const PageData& data) const {
  SendHtml(ex, status, templates_.Render(name, data));
}

std::string Site::Lang(Exchange& ex) const {
  const Catalog& catalog = templates_.catalog();
  auto known = [&](const std::string& l) {
    const auto& ls = catalog.languages();
    return std::find(ls.begin(), ls.end(), l) != ls.end();
  };
  if (auto q = ex.Query("lang"); q && known(*q)) return *q;
  Poco::Net::NameValueCollection cookies;
  ex.request().getCookies(cookies);
  if (std::string c = cookies.get(kLangCookie, ""); known(c)) return c;
  return catalog.FromAcceptLanguage(ex.request().get("Accept-Language", ""));
}

std::string Site::Text(Exchange& ex, std::string_view key, Catalog::Args args) const {
  return templates_.catalog().Text(Lang(ex), key, args);
}

std::string Site::Word(Exchange& ex, std::string_view prefix, std::string_view code, std::string_view fallback_key) const {
  return templates_.catalog().Word(Lang(ex), prefix, code, fallback_key);
}

PageData Site::Page(Exchange& ex, std::string_view title_key, Catalog::Args args) {
  const Catalog& catalog = templates_.catalog();
  const std::string lang = Lang(ex);
  if (auto q = ex.Query("lang"); q && *q == lang) {  // the switch was used: remember it
    Poco::Net::HTTPCookie cookie(kLangCookie, lang);
    cookie.setPath("/");
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
    cookie.setSecure(identity_.secure_cookies);
    cookie.setMaxAge(365 * 24 * 3600);
    ex.response().addCookie(cookie);
  }
  PageData d;
  d.set("t", catalog.Data(lang));
  d.set("lang", lang);
  d.set("title", catalog.Text(lang, title_key, args));
  d.set("node_name", identity_.name);
  // The language switch: this page in each other language.
  Poco::URI here(ex.request().getURI());
  PageData langs = List();
  for (const std::string& other : catalog.languages()) {
    if (other == lang) continue;
    Poco::URI::QueryParameters params;
    for (auto& [k, v] : here.getQueryParameters())
      if (k != "lang") params.emplace_back(k, v);
    params.emplace_back("lang", other);
    Poco::URI link(here.getPath());
    link.setQueryParameters(params);
    PageData l;
    l.set("code", other);
    l.set("name", catalog.Text(other, "site.language_name"));
    l.set("url", link.toString());
    langs.push_back(l);
  }
  d.set("languages", langs);
  // The navigation of the signed-in user's role.
  PageData nav = List();
  auto item = [&](const char* href, const char* key) {
    PageData i;
    i.set("href", href);
    i.set("text", catalog.Text(lang, key));
    nav.push_back(i);
  };
  item("/", "nav.home");
  if (auto who = PageUser(ex)) {
    switch (who->role) {
      case TokenRole::kEmployee: item("/scan", "nav.scan"); item("/claims", "nav.my_claims"); break;
      case TokenRole::kFinance: item("/claims", "nav.finance_claims"); item("/scan", "nav.scan"); break;
      case TokenRole::kAuditor: item("/audit", "nav.audit"); break;
      case TokenRole::kMerchant: item("/merchant", "nav.merchant"); item("/merchant/invoices", "nav.merchant_invoices"); break;
      default: break;
    }
    d.set("user_name", who->name);
    d.set("user_role", catalog.Text(lang, "role." + TokenRoleName(who->role)));
    d.set("signed_in_as", catalog.Text(lang, "nav.signed_in_as",
                                       {{"name", who->name}, {"role", catalog.Text(lang, "role." + TokenRoleName(who->role))}}));
  } else if (identity_.authority) {
    item("/login", "nav.sign_in");
  } else {
    item("/scan", "nav.scan");
    item("/login", "nav.sign_in");
  }
  d.set("nav", nav);
  return d;
}

void Site::SendNotice(Exchange& ex, int status, std::string_view key, Catalog::Args args, const std::string& link,
                      std::string_view link_key) {
  std::string k(key);
  PageData d = Page(ex, k + ".title");
  d.set("heading", Text(ex, k + ".title"));
  d.set("message", Text(ex, k + ".text", args));
  if (!link.empty()) {
    d.set("link", link);
    d.set("link_text", Text(ex, link_key));
  }
  SendPage(ex, status, "message", d);
}

void Site::SendErrorPage(Exchange& ex, int status, const std::string& code, const std::string& field) {
  const Catalog& catalog = templates_.catalog();
  auto first_of = [&](std::initializer_list<std::string> keys) {
    for (const std::string& k : keys)
      if (catalog.Has(k)) return k;
    return std::string("error.status_500");
  };
  const std::string status_text = std::to_string(status), class_text = std::to_string(status / 100 * 100);
  const std::string title = first_of({"error.title_" + status_text, "error.title_" + class_text});
  const std::string text = first_of({"error." + code + "." + field, "error." + code, "error.status_" + status_text,
                                     "error.status_" + class_text});
  PageData d = Page(ex, title);
  d.set("heading", Text(ex, title));
  d.set("message", Text(ex, text));
  d.set("status_code", status_text);
  d.set("link", status == 401 ? "/login" : "/");
  d.set("link_text", Text(ex, status == 401 ? "nav.sign_in" : "error.home"));
  SendPage(ex, status, "message", d);
}

void Site::AddSessionRoutes(Router& r) {
  const bool authority = identity_.authority;
  // Where each role starts when it signed in without a page to return to.
  auto home_of = [](TokenRole role) -> std::string {
    switch (role) {
      case TokenRole::kAuditor: return "/audit";
      case TokenRole::kMerchant: return "/merchant";
      case TokenRole::kFinance: return "/claims";
      default: return "/scan";
    }
  };
  r.Add("GET", "/login", [this](Exchange& ex) {
    PageData d = Page(ex, "login.title");
    d.set("next", SafeNext(ex.Query("next").value_or(""), ""));
    SendPage(ex, 200, "login", d);
  });

  r.Add("POST", "/login", [this, home_of, authority](Exchange& ex) {
    SameOrigin(ex);
    auto form = FormOf(ex);
    std::string token = TrimmedField(form->get("token", ""), kAnyWhiteSpace);
    std::string next = SafeNext(form->get("next", ""), "");
    auto who = token.empty() ? std::nullopt : tokens_.Authenticate(token);
    const bool allowed = who && ActsHere(*who) &&
                         (authority ? who->role == TokenRole::kAuditor
                                    : who->role == TokenRole::kEmployee || who->role == TokenRole::kFinance ||
                                          who->role == TokenRole::kMerchant);
    if (!allowed) {
      PageData d = Page(ex, "login.title");
      d.set("next", next);
      d.set("error", Text(ex, !who               ? "login.invalid"
                              : !ActsHere(*who) ? "login.other_taxpayer"
                              : authority       ? "login.auditors_only"
                                                : "login.staff_only"));
      return SendPage(ex, 401, "login", d);
    }
    auto session = tokens_.StartSession(token, Now(), kSessionMs);
    if (!session) throw ApiError(401, "unauthenticated", "the token is not valid on this node");
    ex.response().addCookie(SessionCookie(*session, static_cast<int>(kSessionMs / 1000)));
    ex.Redirect(next.empty() ? home_of(who->role) : next);
  });

  r.Add("POST", "/logout", [this](Exchange& ex) {
    SameOrigin(ex);
    Poco::Net::NameValueCollection cookies;
    ex.request().getCookies(cookies);
    if (std::string session = cookies.get(kSessionCookie, ""); !session.empty()) tokens_.EndSession(session);
    ex.response().addCookie(SessionCookie("", 0));
    ex.Redirect("/login");
  });
}

}  // namespace app
