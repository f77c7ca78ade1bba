#include "app/replica/authority_client.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <stdexcept>

namespace app {

AuthorityClient::AuthorityClient(const PeerLink& link, const NodeRequestSigner& signer, int timeout_ms)
    : link_(link), signer_(signer), timeout_ms_(timeout_ms) {}

std::vector<EntryOutcome> AuthorityClient::Submit(const std::vector<ledger::Bytes>& entries) {
  std::string body = "{\"entries\":[";
  for (size_t i = 0; i < entries.size(); ++i) body += (i ? ",\"" : "\"") + ledger::ToBase64(entries[i]) + "\"";
  body += "]}";
  NodeAnswer answer;
  try {
    auto session = link_.NewSession(timeout_ms_);
    answer = SendSigned(*session, signer_, Poco::Net::HTTPRequest::HTTP_POST, "/v1/events", body);
  } catch (const Poco::Exception&) {
    link_.Failover();  // an authority group's next member, for the retry
    throw;
  }
  if (answer.status == Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE) link_.Failover();
  if (answer.status != Poco::Net::HTTPResponse::HTTP_OK)
    throw std::runtime_error("the authority answered " + std::to_string(answer.status) + ": " + answer.body.substr(0, 300));
  Poco::JSON::Array::Ptr results;
  try {
    results = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>()->getArray("results");
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("the authority's answer is not JSON: " + e.displayText());
  }
  if (!results || results->size() != entries.size()) throw std::runtime_error("the authority's answer lacks results");
  std::vector<EntryOutcome> out;
  for (size_t i = 0; i < results->size(); ++i) out.push_back(OutcomeFromJson(results->getObject(i)));
  return out;
}

Poco::JSON::Object::Ptr AuthorityClient::Get(const std::string& uri) {
  Poco::Net::HTTPResponse resp;
  std::string answer;
  try {
    auto session = link_.NewSession(timeout_ms_);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    session->sendRequest(req);
    Poco::StreamCopier::copyToString(session->receiveResponse(resp), answer);
  } catch (const Poco::Exception&) {
    link_.Failover();
    throw;
  }
  if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
    throw std::runtime_error("the authority answered " + std::to_string(resp.getStatus()) + ": " + answer.substr(0, 300));
  return Poco::JSON::Parser().parse(answer).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace app
