// The shipped configurations read as the node reads them: the demo network's and the
// production profile's, with the production nodes leaving per-client limits to nginx.
#include <Poco/AutoPtr.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <gtest/gtest.h>

#include <sstream>

#include "app/http/peer_link.h"
#include "app/node/config.h"

namespace app {
namespace {

NodeConfig Read(const std::string& file) {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> c(
      new Poco::Util::PropertyFileConfiguration(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/" + file));
  return ReadNodeConfig(*c);
}

TEST(Config, TheShippedConfigurationsRead) {
  for (const char* member : {"a1", "a2", "a3"}) {  // fixtures/group: an authority group
    NodeConfig g = Read(std::string("group/") + member + ".properties");
    EXPECT_EQ(g.group_self, member);
    EXPECT_EQ(g.group_members.size(), 3u);
    EXPECT_EQ(g.group_etcd.size(), 3u);
    EXPECT_EQ(g.chain_origin, "127.0.0.1/einvoice-group");
  }
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

// The mail settings: a relay needs a sender address; a password never crosses the network in
// clear; each wrong setting is named.
TEST(Config, MailSettingsAreCheckedNamingTheKey) {
  auto read = [](const std::string& lines) {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> c(new Poco::Util::PropertyFileConfiguration);
    std::istringstream in("node.role = taxpayer\nnode.tax_id = 91440300MA5DQ3QP4X\nauthority.url = http://127.0.0.1:1\n"
                          "authority.public_key_file = /dev/null\n" + lines);
    c->load(in);
    return ReadNodeConfig(*c);
  };
  auto refused = [&](const std::string& lines) -> std::string {
    try {
      read(lines);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_TRUE(read("").mail.host.empty()) << "no relay by default";
  NodeConfig ok = read("mail.host = smtp.example.com\nmail.port = 587\nmail.starttls = true\nmail.user = invoices\n"
                       "mail.password_file = /run/secrets/smtp\nmail.from = invoices@example.com\n");
  EXPECT_EQ(ok.mail.port, 587);
  EXPECT_TRUE(ok.mail.starttls);
  EXPECT_EQ(ok.mail_password_file, "/run/secrets/smtp");
  EXPECT_NE(refused("mail.host = smtp.example.com\n").find("mail.from"), std::string::npos);
  EXPECT_NE(refused("mail.host = smtp.example.com\nmail.from = Shop <a@example.com>\n").find("mail.from"), std::string::npos);
  EXPECT_NE(refused("mail.host = smtp.example.com\nmail.from = a@example.com\nmail.user = u\nmail.password_file = /x\n")
                .find("mail.starttls"),
            std::string::npos);
  EXPECT_NE(refused("mail.host = smtp.example.com\nmail.from = a@example.com\nmail.starttls = true\nmail.user = u\n")
                .find("mail.password_file"),
            std::string::npos);
  EXPECT_NE(refused("mail.host = smtp.example.com\nmail.from = a@example.com\nmail.port = 0\n").find("mail.port"),
            std::string::npos);
  EXPECT_NE(refused("mail.host = smtp.example.com\nmail.from = a@example.com\nmail.retry_max_s = 1\n").find("mail.retry_max_s"),
            std::string::npos);
}

// An authority group's settings: each wrong one is named.
TEST(Config, GroupSettingsAreCheckedNamingTheKey) {
  auto refused = [](const std::string& lines) -> std::string {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> c(new Poco::Util::PropertyFileConfiguration);
    std::istringstream in("node.role = authority\n" + lines);
    c->load(in);
    try {
      ReadNodeConfig(*c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  const std::string ok = "group.self = a1\ngroup.members = a1=http://h1:1,a2=http://h2:1,a3=http://h3:1\n"
                         "group.etcd = http://e1:2379\nchain.origin = tax.example/chain\n";
  EXPECT_EQ(refused(ok), "");
  EXPECT_NE(refused("group.self = a1\ngroup.members = a1=http://h1:1,a2=http://h2:1\ngroup.etcd = http://e:1\n"
                    "chain.origin = x\n").find("3 members"), std::string::npos);
  EXPECT_NE(refused("group.self = a9\n" + ok.substr(ok.find('\n') + 1)).find("group.self"), std::string::npos);
  EXPECT_NE(refused("group.self = a1\ngroup.members = a1=h1:1,a2=http://h2:1,a3=http://h3:1\ngroup.etcd = http://e:1\n")
                .find("group.members"), std::string::npos);
  EXPECT_NE(refused("group.self = a1\ngroup.members = a1=http://h1:1,a2=http://h2:1,a3=http://h3:1\nchain.origin = x\n")
                .find("group.etcd"), std::string::npos);
  EXPECT_NE(refused("group.self = a1\ngroup.members = a1=http://h1:1,a2=http://h2:1,a3=http://h3:1\ngroup.etcd = http://e:1\n")
                .find("chain.origin"), std::string::npos);
  EXPECT_NE(refused(ok + "group.lease_s = 1\n").find("group.lease_s"), std::string::npos);
}

// A link over an authority group's members: one URL after the other, never a mix of schemes.
TEST(PeerLinkList, FailsOverInTurnAndRefusesAMixOfSchemes) {
  PeerLink one("http://127.0.0.1:8700");
  one.Failover();
  EXPECT_EQ(one.port(), 8700);
  PeerLink group("http://127.0.0.1:8711, http://127.0.0.1:8712,http://127.0.0.1:8713");
  EXPECT_EQ(group.size(), 3u);
  EXPECT_EQ(group.port(), 8711);
  group.Failover();
  EXPECT_EQ(group.port(), 8712);
  group.Failover();
  group.Failover();
  EXPECT_EQ(group.port(), 8711);
  EXPECT_THROW(PeerLink("http://127.0.0.1:1,https://127.0.0.1:2"), std::invalid_argument);
  EXPECT_THROW(PeerLink("http://127.0.0.1:1,ftp://x"), std::invalid_argument);
  EXPECT_THROW(PeerLink(""), std::invalid_argument);
}

}  // namespace
}  // namespace app
