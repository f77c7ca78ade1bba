// The shipped configurations read as the node reads them: the demo network's and the
// production profile's, with the production nodes leaving per-client limits to nginx.
#include <Poco/AutoPtr.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <gtest/gtest.h>

#include "app/node/config.h"

namespace app {
namespace {

NodeConfig Read(const std::string& file) {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> c(
      new Poco::Util::PropertyFileConfiguration(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/" + file));
  return ReadNodeConfig(*c);
}

TEST(Config, TheShippedConfigurationsRead) {
  for (const char* node : {"authority", "merchant", "company"}) {
    EXPECT_NO_THROW(Read(std::string("demo/") + node + ".properties")) << node;
    NodeConfig p = Read(std::string("production/") + node + ".properties");
    EXPECT_EQ(p.max_connections_per_peer, 0) << node;
    EXPECT_EQ(p.listen_host, "127.0.0.1") << node;
    EXPECT_EQ(p.public_url.rfind("https://", 0), 0u) << node;
    if (p.role == Role::kTaxpayer) {
      EXPECT_EQ(p.authority_url.rfind("https://", 0), 0u) << node;
      EXPECT_FALSE(p.tls_ca_file.empty()) << node;
    }
  }
}

}  // namespace
}  // namespace app
