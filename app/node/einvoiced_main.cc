// einvoiced: one node of the network, configured by a properties file (app/README.md
// "Configuration"). Runs until SIGINT/SIGTERM.
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <iostream>

#include "app/base/logging.h"
#include "app/node/node.h"

namespace {

class NodeApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    ServerApplication::defineOptions(options);
    options.addOption(Poco::Util::Option("help", "h", "print this help and exit").repeatable(false).callback(
        Poco::Util::OptionCallback<NodeApp>(this, &NodeApp::OnHelp)));
    options.addOption(Poco::Util::Option("config", "c", "the node's properties file").argument("FILE").repeatable(false)
                          .callback(Poco::Util::OptionCallback<NodeApp>(this, &NodeApp::OnConfig)));
  }

  void OnHelp(const std::string&, const std::string&) {
    Poco::Util::HelpFormatter f(options());
    f.setCommand(commandName());
    f.setUsage("--config FILE");
    f.setHeader("Runs one node of the e-invoice network (authority or taxpayer), as configured in FILE.");
    f.setFooter("Every configuration key and its default is listed in app/README.md, section Configuration.");
    f.format(std::cout);
    help_ = true;
    stopOptionsProcessing();
  }

  void OnConfig(const std::string&, const std::string& value) { config_file_ = value; }

  int main(const std::vector<std::string>&) override {
    if (help_) return EXIT_OK;
    if (config_file_.empty()) {
      std::cerr << "einvoiced: --config FILE is required (see --help)\n";
      return EXIT_USAGE;
    }
    try {
      loadConfiguration(config_file_);
      app::ConfigureNodeLogging();
      app::NodeConfig cfg = app::ReadNodeConfig(config());
      ledger::UseSuite(cfg.suite);  // the process works on this network's chain only
      app::Node node(cfg);
      node.Start();
      auto head = node.store().Head();
      std::cout << "einvoiced: " << cfg.name << " (" << app::RoleName(cfg.role)
                << ") listening on " << node.BaseUrl() << ", chain height "
                << (head.ok() ? std::to_string(head->header.height) : "none") << std::endl;
      if (app::Authority* authority = node.authority()) {
        auto r = authority->last_replay();
        std::cout << "einvoiced: lifecycle " << (r.rebuilt ? "rebuilt" : r.from_height ? "loaded" : "built")
                  << " at height " << r.from_height << ", " << r.entries << " entries replayed to height " << r.to_height
                  << std::endl;
      }
      waitForTerminationRequest();
      std::cout << "einvoiced: " << cfg.name << " stopping" << std::endl;
      node.Stop();
    } catch (const Poco::Exception& e) {  // before std::exception, which it derives from
      std::cerr << "einvoiced: " << e.displayText() << "\n";
      return EXIT_CONFIG;
    } catch (const std::exception& e) {
      std::cerr << "einvoiced: " << e.what() << "\n";
      return EXIT_CONFIG;
    }
    return EXIT_OK;
  }

 private:
  bool help_ = false;
  std::string config_file_;
};

}  // namespace

POCO_SERVER_MAIN(NodeApp)
