// Properties files: Poco's PropertyFileConfiguration loaded from the input, then
// app::ReadNodeConfig, as einvoiced --config reads its file. A bad file is an exception
// (einvoiced prints it and exits with its config status); a crash or UB is a finding.
#include <Poco/AutoPtr.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <sstream>
#include <stdexcept>

#include "app/node/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in{std::string(fuzz::AsText(data, size))};
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config(new Poco::Util::PropertyFileConfiguration);
  try {
    config->load(in);
    app::NodeConfig c = app::ReadNodeConfig(*config);
    FUZZ_CHECK(c.listen_port >= 0 && c.listen_port <= 65535);
    FUZZ_CHECK(c.region_code.size() == 2);
    (void)c.ListenAddress();
  } catch (const std::exception&) {  // Poco::Exception derives from it: what einvoiced catches
  }
  return 0;
}
