// einvoice keygen: a node's key pair of the network's suite (Ed25519 or SM2) as PEM files.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli/cli.h"
#include "ledger/keys.h"

namespace app::cli {
namespace {

int Keygen(const Args& a) {
  std::string prefix = a.at("out");
  std::string priv = prefix + ".pem", pub = prefix + ".pub.pem";
  if (!a.count("force") && (std::filesystem::exists(priv) || std::filesystem::exists(pub))) {
    std::cerr << "einvoice keygen: " << priv << " or " << pub << " exists; pass --force to replace it\n";
    return 3;
  }
  auto key = ledger::PrivateKey::Generate(SuiteArg(a));
  if (!key.ok()) throw std::runtime_error(key.status().message());
  {
    // Create the private key file with mode 0600 before any secret is written to it.
    std::ofstream(priv, std::ios::trunc).close();
    chmod(priv.c_str(), 0600);
    std::ofstream out(priv, std::ios::trunc);
    out << key->ToPem();
    if (!out) throw std::runtime_error("cannot write " + priv);
  }
  std::ofstream(pub, std::ios::trunc) << key->PublicPem();
  std::cout << "private key: " << priv << " (mode 0600)\npublic key:  " << pub << "\nraw public key (hex): "
            << ledger::ToHex(key->public_key()) << "\n";
  return 0;
}

}  // namespace

void AddKeyVerbs(std::vector<Verb>& verbs) {
  Verb v{"keygen", "generate a node key pair (PREFIX.pem, PREFIX.pub.pem) of the network's suite",
         "--out PREFIX [--suite ed25519-sha256|sm2-sm3] [--force]", {}, Keygen};
  v.options.addOption(SuiteOption("the network's suite"));
  v.options.addOption(Required("out", "PREFIX", "write PREFIX.pem (private, mode 0600) and PREFIX.pub.pem"));
  v.options.addOption(Flag("force", "replace existing files"));
  verbs.push_back(std::move(v));
}

}  // namespace app::cli
