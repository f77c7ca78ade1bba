#include "app/http/http.h"

#include <Poco/JSON/JSONException.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Exception.h>
#include <Poco/StreamCopier.h>

#include <charconv>
#include <sstream>

#include "app/http/api_error.h"
#include "app/http/http_server.h"

namespace app {

using Poco::JSON::Object;

Exchange::Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                   std::vector<std::string> params)
    : req_(req), resp_(resp), params_(std::move(params)) {}

namespace {

// A body the handler did not read (it answered before, a 401 say) is read and dropped, up
// to kMaxDrainBytes: closing with it unread would reset the connection, and the client,
// still sending, would lose the answer. Beyond that the connection is closed.
void DrainUnreadBody(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  try {
    char sink[16384];
    std::istream& in = req.stream();
    for (size_t drained = 0; in && drained < kMaxDrainBytes; drained += static_cast<size_t>(in.gcount()))
      in.read(sink, sizeof sink);
    if (in) resp.setKeepAlive(false);
  } catch (const std::exception&) {
    resp.setKeepAlive(false);
  }
}

}  // namespace

std::optional<std::string> Exchange::Query(const std::string& name) const {
  if (!query_) {
    try {
      query_ = Poco::URI(req_.getURI()).getQueryParameters();
    } catch (const Poco::Exception&) {
      throw ApiError::BadRequest("malformed_query", "the query string is not valid URL encoding");
    }
  }
  for (const auto& [k, v] : *query_)
    if (k == name) return v;
  return std::nullopt;
}

std::optional<uint64_t> Exchange::QueryUint(const std::string& name) const {
  auto v = Query(name);
  if (!v) return std::nullopt;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size())
    throw ApiError::BadRequest("invalid_parameter", name + " must be a non-negative integer", name);
  return out;
}

std::string Exchange::Body() { return Body(kMaxBodyBytes); }

std::string Exchange::Body(size_t max_bytes) {
  // An over-long body is read and discarded (up to kMaxDrainBytes) before the 413, so that
  // the client, still sending, gets to read the answer; then the connection is closed.
  auto too_large = [this, max_bytes]() {
    DrainUnreadBody(req_, resp_);
    resp_.setKeepAlive(false);
    return ApiError(413, "body_too_large", "the request body is over " + std::to_string(max_bytes >> 20) + " MiB");
  };
  if (req_.hasContentLength() && req_.getContentLength64() > static_cast<int64_t>(max_bytes)) throw too_large();
  std::string body;
  char buf[16384];
  std::istream& in = req_.stream();
  try {
    while (in) {
      in.read(buf, sizeof buf);
      body.append(buf, static_cast<size_t>(in.gcount()));
      if (body.size() > max_bytes) throw too_large();
    }
  } catch (const Poco::TimeoutException&) {
    resp_.setKeepAlive(false);
    throw ApiError(408, "request_timeout", "the request body did not arrive in time");
  }
  // A body cut short (the client went away, or was cut off at its deadline) is not acted on.
  if (req_.hasContentLength() && static_cast<int64_t>(body.size()) != req_.getContentLength64()) {
    resp_.setKeepAlive(false);
    throw ApiError(400, "incomplete_body", "the request body is shorter than its Content-Length");
  }
  HttpServer::OnBodyRead();
  return body;
}

void Exchange::Redirect(const std::string& location) {
  status_ = 303;
  resp_.redirect(location, Poco::Net::HTTPResponse::HTTP_SEE_OTHER);
}

void Exchange::Json(int status, const Object::Ptr& body) {
  std::ostringstream ss;
  body->stringify(ss);
  Send(status, "application/json", ss.str());
}

void Exchange::Send(int status, const std::string& content_type, const std::string& body) {
  status_ = status;
  resp_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp_.setContentType(content_type);
  resp_.setContentLength64(static_cast<Poco::Int64>(body.size()));
  resp_.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

void WriteError(Exchange& ex, int status, const std::string& code, const std::string& message, uint64_t height,
                const std::string& field) {
  Object::Ptr err = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  err->set("code", code);
  err->set("message", message);
  if (!field.empty()) err->set("field", field);
  if (height) err->set("height", height);
  Object::Ptr body = new Object;
  body->set("error", err);
  ex.Json(status, body);
}

void Metrics::CountRequest(const std::string& route, int status) {
  MutexLock lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::CountCallbackRejected(const std::string& provider, const std::string& reason) {
  MutexLock lock(mu_);
  ++callbacks_rejected_[{provider, reason}];
}

std::string Metrics::Prometheus() const {
  MutexLock lock(mu_);
  std::ostringstream out;
  out << "# HELP einvoice_callbacks_rejected_total Payment callbacks refused, by provider and reason.\n"
      << "# TYPE einvoice_callbacks_rejected_total counter\n";
  for (const auto& [key, n] : callbacks_rejected_)
    out << "einvoice_callbacks_rejected_total{provider=\"" << key.first << "\",reason=\"" << key.second << "\"} " << n
        << "\n";
  out << "# HELP einvoice_http_requests_total HTTP requests by route and status.\n"
      << "# TYPE einvoice_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out << "einvoice_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
  return out.str();
}

bool WantsErrorPage(const Poco::Net::HTTPServerRequest& req) {
  const std::string& uri = req.getURI();
  if (uri.rfind("/v1/", 0) == 0 || uri.rfind("/healthz", 0) == 0 || uri.rfind("/metrics", 0) == 0) return false;
  return req.get("Accept", "").find("text/html") != std::string::npos;
}

namespace {

class DispatchHandler : public Poco::Net::HTTPRequestHandler {
 public:
  DispatchHandler(Handler h, std::string route, std::vector<std::string> params, Metrics* metrics, int preset_status,
                  const ErrorPage* error_page)
      : handler_(std::move(h)), route_(std::move(route)), params_(std::move(params)), metrics_(metrics),
        preset_status_(preset_status), error_page_(error_page) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    Exchange ex(req, resp, params_);
    try {
      try {
        if (preset_status_ == 404) throw ApiError::NotFound("no such resource: " + req.getURI());
        if (preset_status_ == 405) throw ApiError(405, "method_not_allowed", req.getMethod() + " is not allowed here");
        handler_(ex);
      } catch (const ApiError& e) {
        if (ex.status() == 0) Fail(ex, e.status(), e.code(), e.what(), e.height(), e.field());
      } catch (const Poco::JSON::JSONException& e) {
        if (ex.status() == 0) Fail(ex, 400, "malformed_json", "the body is not valid JSON: " + e.message(), 0);
      } catch (const std::exception& e) {
        // A bug or an unavailable dependency: nothing the client sent is at fault.
        if (ex.status() == 0) Fail(ex, 503, "unavailable", "the node could not serve this request", 0);
      }
    } catch (const std::exception&) {
      // Writing the response failed (the client went away): there is no one left to answer.
    }
    DrainUnreadBody(req, resp);
    if (metrics_) metrics_->CountRequest(route_, ex.status());
    HttpServer::OnRequestDone();
  }

 private:
  Handler handler_;
  std::string route_;
  std::vector<std::string> params_;
  Metrics* metrics_;
  // The error as a page for a person, or as the contract's JSON; JSON if the page fails.
  void Fail(Exchange& ex, int status, const std::string& code, const std::string& message, uint64_t height,
            const std::string& field = "") {
    if (error_page_ && *error_page_ && WantsErrorPage(ex.request())) {
      try {
        (*error_page_)(ex, status, code, field);
        return;
      } catch (const std::exception&) {
        if (ex.status() != 0) throw;
      }
    }
    WriteError(ex, status, code, message, height, field);
  }

  int preset_status_;
  const ErrorPage* error_page_;
};

}  // namespace

void Router::Add(const std::string& method, const std::string& pattern, Handler handler) {
  // The pattern's literal start (up to its first regex metacharacter): most routes are ruled
  // out by comparing it, without running the regex (which costs microseconds per route).
  size_t meta = pattern.find_first_of(".[]()*+?{}|^$\\");
  std::string prefix = pattern.substr(0, meta);
  if (meta != std::string::npos && pattern[meta] == '|') prefix.clear();  // "a|b": no common start
  if (meta != std::string::npos && std::string_view("?*{").find(pattern[meta]) != std::string_view::npos && !prefix.empty())
    prefix.pop_back();  // "ab?": the b is optional
  Route r{method, pattern, prefix, meta == std::string::npos, std::regex(pattern), std::move(handler)};
  routes_.push_back(std::move(r));
}

bool Router::Wrap(const std::string& method, const std::string& pattern, std::function<void(Exchange&, const Handler&)> wrap) {
  for (Route& r : routes_) {
    if (r.method != method || r.pattern != pattern) continue;
    r.handler = [inner = std::move(r.handler), wrap = std::move(wrap)](Exchange& ex) { wrap(ex, inner); };
    return true;
  }
  return false;
}

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(const Poco::Net::HTTPServerRequest& req) {
  HttpServer::OnHeadRead((req.hasContentLength() && req.getContentLength64() > 0) || req.getChunkedTransferEncoding());
  std::string path = req.getURI().substr(0, req.getURI().find('?'));
  bool path_known = false;
  for (const Route& r : routes_) {
    if (path.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    if (r.literal && path.size() != r.prefix.size()) continue;
    std::smatch m;
    if (!r.literal && !std::regex_match(path, m, r.re)) continue;
    path_known = true;
    if (r.method != req.getMethod()) continue;
    std::vector<std::string> params;
    for (size_t i = 1; i < m.size(); ++i) params.push_back(m[i].str());
    return new DispatchHandler(r.handler, r.pattern, std::move(params), metrics_, 0, &error_page_);
  }
  return new DispatchHandler({}, path_known ? "method_not_allowed" : "not_found", {}, metrics_,
                             path_known ? 405 : 404, &error_page_);
}

}  // namespace app
