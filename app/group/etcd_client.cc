#include "app/group/etcd_client.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <sstream>

namespace app {

namespace {

// gRPC's code Unavailable: this member cannot serve now (no leader, a request timed out, stopping).
constexpr int kUnavailable = 14;

// Poco's what() is only the exception's name.
std::string What(const std::exception& e) {
  const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
  return poco ? poco->displayText() : e.what();
}

std::string Base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string FromBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string bytes;
  Poco::StreamCopier::copyToString(decoder, bytes);  // Poco::DataFormatException if not base64
  return bytes;
}

// An int64 field of an answer: a JSON string (the gateway's way) or number; 0 when left out.
int64_t Int(const Poco::JSON::Object& o, const std::string& name) {
  if (!o.has(name) || o.isNull(name)) return 0;
  Poco::Dynamic::Var v = o.get(name);
  if (!v.isString()) return v.convert<Poco::Int64>();
  std::string s = v.toString();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) throw EtcdError("\"" + name + "\" is not an integer: " + s);
  return n;
}

Poco::JSON::Object::Ptr Object(const Poco::JSON::Object& o, const std::string& name) {
  if (Poco::JSON::Object::Ptr inner = o.getObject(name)) return inner;
  throw EtcdError("no \"" + name + "\" object");
}

// A request body of string fields (int64 values too, as the gateway writes them).
Poco::JSON::Object Body(std::initializer_list<std::pair<const char*, std::string>> fields) {
  Poco::JSON::Object o;
  for (const auto& [name, value] : fields) o.set(name, value);
  return o;
}

// A txn comparing the key's create_revision with `revision`, running `op` if equal.
Poco::JSON::Object CreateRevisionTxn(const std::string& key, int64_t revision, const std::string& op_name,
                                     const Poco::JSON::Object& op) {
  Poco::JSON::Object compare = Body({{"key", Base64(key)}, {"target", "CREATE"}, {"result", "EQUAL"},
                                     {"create_revision", std::to_string(revision)}});
  Poco::JSON::Object request, txn;
  request.set(op_name, op);
  Poco::JSON::Array compares, success;
  compares.add(compare);
  success.add(request);
  txn.set("compare", compares);
  txn.set("success", success);
  return txn;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, int timeout_ms) : timeout_ms_(timeout_ms) {
  for (const std::string& url : endpoints) {
    Poco::URI uri;
    try {
      uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
      throw std::invalid_argument("not an etcd endpoint URL: " + url);
    }
    if (uri.getScheme() != "http" || uri.getHost().empty() || uri.getSpecifiedPort() == 0 ||
        (!uri.getPath().empty() && uri.getPath() != "/") || !uri.getRawQuery().empty())
      throw std::invalid_argument("an etcd endpoint is http://host:port, not " + url);
    endpoints_.push_back({url, uri.getHost(), uri.getPort()});
  }
  if (endpoints_.empty()) throw std::invalid_argument("no etcd endpoint given");
  if (timeout_ms <= 0) throw std::invalid_argument("the etcd timeout must be positive");
}

bool EtcdClient::Call(const std::string& path, const Poco::JSON::Object& body,
                      const std::function<void(const Poco::JSON::Object&)>& read, int tolerated_code) {
  std::ostringstream json;
  body.stringify(json);
  const std::string request = json.str();
  size_t start = [&] { MutexLock lock(mu_); return current_; }();
  std::string failures;
  for (size_t k = 0; k < endpoints_.size(); ++k) {
    size_t i = (start + k) % endpoints_.size();
    const Endpoint& e = endpoints_[i];
    std::string text;
    int status;
    try {
      Poco::Net::HTTPClientSession session(e.host, e.port);
      Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(timeout_ms_) * 1000);
      session.setTimeout(timeout, timeout, timeout);
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(request.size()));
      session.sendRequest(req) << request;
      Poco::Net::HTTPResponse resp;
      Poco::StreamCopier::copyToString(session.receiveResponse(resp), text);
      status = resp.getStatus();
    } catch (const std::exception& ex) {  // refused, timed out, reset
      failures += "; " + e.url + ": " + What(ex);
      continue;
    }
    try {
      Poco::JSON::Object::Ptr answer;
      try {
        answer = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
      } catch (const std::exception&) {
        throw EtcdError("HTTP " + std::to_string(status) + ", not a JSON object: " + text.substr(0, 200));
      }
      // Errors: {"error":"…","message":"…","code":N}, or inside a stream {"error":{"grpc_code":N,"message":"…"}}.
      int code = 0;
      std::string message;
      if (answer->has("error")) {
        if (Poco::JSON::Object::Ptr err = answer->getObject("error")) {
          code = static_cast<int>(Int(*err, "grpc_code"));
          message = err->optValue<std::string>("message", "");
        } else {
          code = static_cast<int>(Int(*answer, "code"));
          message = answer->optValue<std::string>("message", answer->get("error").toString());
        }
        if (code == 0) code = 2;  // Unknown
      } else if (status != 200) {
        code = 2;
        message = "HTTP " + std::to_string(status) + ": " + text.substr(0, 200);
      }
      if (code == kUnavailable) {
        failures += "; " + e.url + ": " + message;
        continue;
      }
      {
        MutexLock lock(mu_);
        current_ = i;
      }
      if (code != 0 && code == tolerated_code) return false;
      if (code != 0) throw EtcdError(message + " (gRPC code " + std::to_string(code) + ")");
      read(*answer);
      return true;
    } catch (const std::exception& ex) {
      throw EtcdError("etcd " + e.url + " " + path + ": " + What(ex));
    }
  }
  throw EtcdError("no etcd endpoint answered " + path + failures);
}

EtcdClient::Lease EtcdClient::Grant(int64_t ttl_s) {
  Lease lease;
  Call("/v3/lease/grant", Body({{"TTL", std::to_string(ttl_s)}}), [&](const Poco::JSON::Object& o) {
    lease = {Int(o, "ID"), Int(o, "TTL")};
    if (lease.id == 0) throw EtcdError("no lease ID in the answer");
  });
  return lease;
}

int64_t EtcdClient::KeepAlive(int64_t lease_id) {
  int64_t ttl = 0;
  // The gateway streams {"result":{"ID":…,"TTL":…}}; a gone lease comes back without TTL.
  Call("/v3/lease/keepalive", Body({{"ID", std::to_string(lease_id)}}),
       [&](const Poco::JSON::Object& o) { ttl = std::max<int64_t>(0, Int(*Object(o, "result"), "TTL")); });
  return ttl;
}

void EtcdClient::Revoke(int64_t lease_id) {
  Call("/v3/lease/revoke", Body({{"ID", std::to_string(lease_id)}}), [](const Poco::JSON::Object&) {},
       /*NotFound: "requested lease not found"*/ 5);
}

int64_t EtcdClient::CreateIfAbsent(const std::string& key, const std::string& value, int64_t lease_id) {
  Poco::JSON::Object put = Body({{"key", Base64(key)}, {"value", Base64(value)}});
  if (lease_id != 0) put.set("lease", std::to_string(lease_id));
  int64_t revision = 0;
  Call("/v3/kv/txn", CreateRevisionTxn(key, 0, "request_put", put), [&](const Poco::JSON::Object& o) {
    if (!o.optValue<bool>("succeeded", false)) return;
    revision = Int(*Object(o, "header"), "revision");  // the txn's revision: the put's
    if (revision <= 0) throw EtcdError("a txn that put has no revision");
  });
  return revision;
}

std::optional<EtcdClient::KeyValue> EtcdClient::Get(const std::string& key) {
  std::optional<KeyValue> found;
  Call("/v3/kv/range", Body({{"key", Base64(key)}}), [&](const Poco::JSON::Object& o) {
    Poco::JSON::Array::Ptr kvs = o.getArray("kvs");
    if (!kvs || kvs->size() == 0) return;
    Poco::JSON::Object::Ptr kv = kvs->getObject(0);
    if (!kv) throw EtcdError("kvs[0] is not an object");
    found = KeyValue{FromBase64(kv->optValue<std::string>("value", "")), Int(*kv, "create_revision"),
                     Int(*kv, "mod_revision"), Int(*kv, "lease")};
  });
  return found;
}

bool EtcdClient::DeleteIf(const std::string& key, int64_t create_revision) {
  if (create_revision <= 0) return false;  // no key has it
  // Succeeded: the key had that create revision when the txn ran, so the delete removed it.
  bool succeeded = false;
  Call("/v3/kv/txn", CreateRevisionTxn(key, create_revision, "request_delete_range", Body({{"key", Base64(key)}})),
       [&](const Poco::JSON::Object& o) { succeeded = o.optValue<bool>("succeeded", false); });
  return succeeded;
}

void EtcdClient::Put(const std::string& key, const std::string& value) {
  Call("/v3/kv/put", Body({{"key", Base64(key)}, {"value", Base64(value)}}), [](const Poco::JSON::Object&) {});
}

}  // namespace app
