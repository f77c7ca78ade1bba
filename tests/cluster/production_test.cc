// Issue 16, finding 3, through the production profile: Debian's nginx with
// fixtures/production/nginx in front of an authority, a merchant and a company (separate
// einvoiced processes). 200 idle and 40 trickling connections are held against each node
// while /healthz and signed payment callbacks are answered, p99 at most a second, and
// every paid invoice is sealed.
#include <Poco/Net/SecureStreamSocket.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <regex>

#include "cluster.h"

namespace cluster {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A TCP socket to 127.0.0.1:port from the loopback address `from`.
Poco::Net::StreamSocket ConnectFrom(const std::string& from, uint16_t port) {
  Poco::Net::StreamSocket s;
  s.impl()->bind(Poco::Net::SocketAddress(from, 0), false);
  s.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(2, 0));
  return s;
}

bool Closed(Poco::Net::StreamSocket& s) {
  char b;
  ssize_t n = ::recv(s.impl()->sockfd(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Holds `idle` connections that never say anything and `trickling` ones that complete the
// TLS handshake and then send their request head a byte every 4 s, against `port`, each
// opened again as soon as the proxy closes it. Counts the reopenings.
class Siege {
 public:
  Siege(uint16_t port, int idle, int trickling) : port_(port), idle_n_(idle), trickling_n_(trickling) {
    Poco::Net::Context::Params p;
    p.verificationMode = Poco::Net::Context::VERIFY_NONE;  // an attacker does not care
    ctx_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
    thread_ = std::thread([this] { Run(); });
  }
  ~Siege() {
    stop_ = true;
    thread_.join();
  }
  int reopened() const { return reopened_; }
  int held() const { return held_; }

 private:
  Poco::Net::StreamSocket Trickler() {
    Poco::Net::SecureStreamSocket s = Poco::Net::SecureStreamSocket::attach(ConnectFrom("127.0.0.3", port_), ctx_);
    s.completeHandshake();
    s.sendBytes("GET /healthz HTTP/1.1\r\n", 23);
    return s;
  }
  void Run() {
    std::vector<Poco::Net::StreamSocket> idle, trickling;
    auto open = [&](std::vector<Poco::Net::StreamSocket>& v, int n, bool trickle) {
      while (static_cast<int>(v.size()) < n && !stop_) {
        try {
          v.push_back(trickle ? Trickler() : ConnectFrom("127.0.0.2", port_));
        } catch (const Poco::Exception&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    };
    open(idle, idle_n_, false);
    open(trickling, trickling_n_, true);
    auto last_byte = SteadyClock::now();
    while (!stop_) {
      bool byte_due = SteadyClock::now() - last_byte > std::chrono::seconds(4);
      for (auto* v : {&idle, &trickling}) {
        for (auto it = v->begin(); it != v->end();) {
          bool dead = Closed(*it);
          if (!dead && byte_due && v == &trickling) {
            try {
              it->sendBytes("X", 1);
            } catch (const Poco::Exception&) {
              dead = true;
            }
          }
          if (dead) {
            it = v->erase(it);
            ++reopened_;
          } else {
            ++it;
          }
        }
      }
      if (byte_due) last_byte = SteadyClock::now();
      open(idle, idle_n_, false);
      open(trickling, trickling_n_, true);
      held_ = static_cast<int>(idle.size() + trickling.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  uint16_t port_;
  int idle_n_, trickling_n_;
  Poco::Net::Context::Ptr ctx_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reopened_{0}, held_{0};
  std::thread thread_;
};

double P99(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, v.size() * 99 / 100)];
}

TEST(Production, BehindNginxNoSiegeStopsANode) {
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);
  apptest::TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);  // nginx's workers may be another user
  TestPki pki = MakeTestPki(dir.path());
  const uint16_t pa = FreePort(), pm = FreePort(), pc = FreePort();

  Cluster c(dir.path());
  ProcessNode& authority = c.StartAuthority("http.max_connections_per_peer = 0\n");
  c.ReachAuthorityThrough("https://127.0.0.1:" + std::to_string(pa), pki.ca);
  ProcessNode& merchant = c.StartTaxpayer("merchant", "91440300MA5DQ3QP4X", "44", kApiKey, 100000);
  ProcessNode& company = c.StartTaxpayer("company", "91110108MA01G7GK9M", "11", kApiKey);

  // The profile's nginx, on free ports, in front of these nodes.
  fs::path prefix = fs::path(dir.path()) / "nginx";
  fs::create_directories(prefix / "logs");
  fs::create_directories(prefix / "tmp");
  fs::copy(fs::path(EINVOICE_SOURCE_DIR) / "fixtures/production/nginx", prefix / "conf", fs::copy_options::recursive);
  struct Site {
    const char* name;
    std::string listen, upstream;
  };
  for (const Site& s : {Site{"authority", "8443", "8700:" + std::to_string(authority.port)},
                        Site{"merchant", "8444", "8701:" + std::to_string(merchant.port)},
                        Site{"company", "8445", "8702:" + std::to_string(company.port)}}) {
    fs::path conf = prefix / "conf/sites" / (std::string(s.name) + ".conf");
    std::string text = Slurp(conf);
    uint16_t port = s.listen == std::string("8443") ? pa : s.listen == std::string("8444") ? pm : pc;
    text = std::regex_replace(text, std::regex("listen " + s.listen + " ssl"), "listen 127.0.0.1:" + std::to_string(port) + " ssl");
    text = std::regex_replace(text, std::regex("server 127.0.0.1:" + s.upstream.substr(0, 4) + ";"),
                              "server 127.0.0.1:" + s.upstream.substr(5) + ";");
    std::ofstream(conf, std::ios::trunc) << text;
    fs::copy_file(pki.cert, prefix / "conf/tls" / (std::string(s.name) + ".crt"));
    fs::copy_file(pki.key, prefix / "conf/tls" / (std::string(s.name) + ".key"));
  }
  std::string nginx_bin = fs::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  auto check = apptest::RunCommand(nginx_bin + " -t -p " + prefix.string() + "/ -c conf/nginx.conf -e logs/error.log");
  ASSERT_EQ(check.exit_code, 0) << check.output;
  pid_t nginx = app::cli::SpawnProcess(nginx_bin, {"-p", prefix.string() + "/", "-c", "conf/nginx.conf", "-e", "logs/error.log"},
                                       (prefix / "logs/stderr.log").string());
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGQUIT);
      int st;
      waitpid(pid, &st, 0);
    }
  } reaper{nginx};
  Poco::Net::Context::Ptr tls = app::TlsClientContext(pki.ca);
  auto https = [&](uint16_t port, const std::string& method, const std::string& uri, const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {}) {
    return apptest::HttpWith(tls, port, method, uri, body, headers);
  };
  ASSERT_TRUE(WaitFor([&] {
    try {
      return https(pa, "GET", "/healthz").status == 200 && https(pm, "GET", "/healthz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }, 20));
  ASSERT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoice_numbers_left") > 0; }, 30));

  app::payment::WechatSimKeys keys{"1900000109", "SERIAL1",
                                   ReadFile(std::string(EINVOICE_SOURCE_DIR) + "/fixtures/keys/wechatpay_platform.pem"), kApiKey};
  auto pay = [&](int i, std::vector<double>* latencies) {
    std::string id = "P-" + std::to_string(i);
    auto o = https(pm, "POST", "/v1/orders",
                   "{\"order_id\":\"" + id + "\",\"items\":[{\"name\":\"拿铁咖啡\",\"quantity\":\"1\",\"unit_price_fen\":3200,"
                   "\"gross_fen\":3200,\"tax_rate\":\"0.13\"}],\"buyer\":" + kCompanyBuyer + "}",
                   {{"Authorization", "Bearer " + merchant.token}});
    EXPECT_EQ(o.status, 201) << o.body;
    auto n = app::payment::WechatTransaction(keys, id, "T" + id, 3200, time(nullptr));
    auto t = SteadyClock::now();
    auto r = https(pm, "POST", "/v1/callbacks/wechatpay", n.body, n.headers);
    latencies->push_back(std::chrono::duration<double>(SteadyClock::now() - t).count());
    EXPECT_EQ(r.status, 204) << r.body;
  };
  std::vector<double> callback_s, health_s;
  int paid = 0;
  pay(paid++, &callback_s);
  callback_s.clear();

  // The siege: 200 idle and 40 trickling connections against each node's nginx.
  std::vector<std::unique_ptr<Siege>> sieges;
  for (uint16_t port : {pa, pm, pc}) sieges.push_back(std::make_unique<Siege>(port, 200, 40));
  ASSERT_TRUE(WaitFor([&] {
    for (auto& s : sieges)
      if (s->held() < 240) return false;
    return true;
  }, 30)) << "the siege could not open its connections";
  uint64_t sealed_before = Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}");
  auto start = SteadyClock::now();
  while (SteadyClock::now() - start < std::chrono::seconds(25)) {
    for (uint16_t port : {pa, pm, pc}) {
      auto t = SteadyClock::now();
      EXPECT_EQ(https(port, "GET", "/healthz").status, 200);
      health_s.push_back(std::chrono::duration<double>(SteadyClock::now() - t).count());
    }
    pay(paid++, &callback_s);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  uint64_t sealed_during = Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}") - sealed_before;
  int reopened = 0;
  for (auto& s : sieges) reopened += s->reopened();
  sieges.clear();
  EXPECT_LE(P99(health_s), 1.0);
  EXPECT_LE(P99(callback_s), 1.0);
  EXPECT_GT(sealed_during, uint64_t(paid) / 2) << "sealing stalled under the siege";
  EXPECT_TRUE(WaitFor([&] { return Metric(merchant.port, "einvoice_invoices{status=\"sealed\"}") == uint64_t(paid); }, 30));
  // nginx closed the siege's connections at its header timeout; they were opened again.
  EXPECT_GE(reopened, 3 * 240);
  std::printf("production profile: 3 x (200 idle + 40 trickling) connections for 25 s; /healthz p99 %.0f ms (%zu), "
              "signed callbacks p99 %.0f ms (%zu), %llu invoices sealed meanwhile, %d siege connections closed by nginx\n",
              P99(health_s) * 1000, health_s.size(), P99(callback_s) * 1000, callback_s.size(),
              static_cast<unsigned long long>(sealed_during), reopened);
}

}  // namespace
}  // namespace cluster
