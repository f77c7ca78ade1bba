// The HTTP plumbing of a node: an explicit route table, one handler class that dispatches
// to it and turns every exception into the contract's JSON error, and request metrics.
// The factory never returns null (Poco would answer 501): unknown paths get a 404 body.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "app/base/mutex.h"

namespace app {

inline constexpr size_t kMaxBodyBytes = 1 << 20;   // larger bodies get 413
inline constexpr size_t kMaxDrainBytes = 8 << 20;  // read and dropped before a 413

// One request and its response, with the route's captured path parameters.
class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, std::vector<std::string> params);
  Poco::Net::HTTPServerRequest& request() { return req_; }
  Poco::Net::HTTPServerResponse& response() { return resp_; }
  // A redirect (303 See Other) to `location`.
  void Redirect(const std::string& location);
  const std::string& Param(size_t i) const { return params_.at(i); }
  std::optional<std::string> Query(const std::string& name) const;
  // A query parameter as an unsigned integer; 400 naming the field when malformed.
  std::optional<uint64_t> QueryUint(const std::string& name) const;
  std::string Body();  // at most kMaxBodyBytes, else ApiError 413
  std::string Body(size_t max_bytes);  // for the few routes that take more (member to member)

  void Json(int status, const Poco::JSON::Object::Ptr& body);
  void Send(int status, const std::string& content_type, const std::string& body);
  int status() const { return status_; }

 private:
  Poco::Net::HTTPServerRequest& req_;
  Poco::Net::HTTPServerResponse& resp_;
  std::vector<std::string> params_;
  mutable std::optional<Poco::URI::QueryParameters> query_;  // parsed on first use
  int status_ = 0;
};

using Handler = std::function<void(Exchange&)>;
// Answers an error to a person (an HTML page) instead of the contract's JSON: status, code, field.
using ErrorPage = std::function<void(Exchange&, int, const std::string&, const std::string&)>;
// Whether an error to this request goes to a person: a browser (Accept names text/html)
// asking for a page, not for the API (/v1/...) or a machine endpoint.
bool WantsErrorPage(const Poco::Net::HTTPServerRequest& req);

// Requests by route and status, for /metrics. Thread-safe.
class Metrics {
 public:
  void CountRequest(const std::string& route, int status);
  void CountCallbackRejected(const std::string& provider, const std::string& reason);
  std::string Prometheus() const;  // the counters in the text format

 private:
  mutable Mutex mu_;  // taken alone
  std::map<std::pair<std::string, int>, uint64_t> requests_ GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, uint64_t> callbacks_rejected_ GUARDED_BY(mu_);
};

class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Router(Metrics* metrics) : metrics_(metrics) {}
  // `pattern` is a regex over the path (anchored); its groups become Exchange::Param(i).
  void Add(const std::string& method, const std::string& pattern, Handler handler);
  // Wraps the handler of the route added with `method` and `pattern`: `wrap` gets each of its
  // requests and the route's own handler. False if there is no such route.
  bool Wrap(const std::string& method, const std::string& pattern, std::function<void(Exchange&, const Handler&)> wrap);
  // How errors are answered to people (WantsErrorPage); without one, always JSON. Set before serving.
  void SetErrorPage(ErrorPage page) { error_page_ = std::move(page); }
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& req) override;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::string prefix;  // the literal start of the pattern
    bool literal;        // the whole pattern is literal: prefix is the path
    std::regex re;
    Handler handler;
  };
  std::vector<Route> routes_;
  Metrics* metrics_;
  ErrorPage error_page_;
};

// Writes the contract's error body.
void WriteError(Exchange& ex, int status, const std::string& code, const std::string& message, uint64_t height,
                const std::string& field = "");

}  // namespace app
