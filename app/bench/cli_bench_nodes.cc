// einvoice bench e2e: the whole stack under load. It starts a fresh
// authority and two merchant nodes as real einvoiced processes on loopback, pays
// pre-created orders with signed WeChat Pay notifications over many keep-alive
// connections for a fixed time, and reads back from the authority's chain when each
// acknowledged payment's invoice was sealed and from the replicas' heads when it reached
// both. Longer than most files because the harness (processes, orders, load, the
// read-back) is one measurement and reads best in one place.
// app/bench/README.md has the figures and how to read them.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/bench/bench_load.h"
#include "app/bench/bench_network.h"
#include "app/cli/cli.h"
#include "app/bench/cli_bench.h"
#include "app/node/node.h"
#include "app/node/node_process.h"
#include "app/merchant/payment_sim.h"
#include "app/base/progress.h"
#include "invoice/event_codec.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"
#include "ledger/keys.h"

namespace app::cli {
namespace {

namespace fs = std::filesystem;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A keep-alive client that reconnects when the server closes.
class Client {
 public:
  explicit Client(uint16_t port) : session_("127.0.0.1", port) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(30, 0));
  }
  int Post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers,
           std::string* answer = nullptr) {
    for (int attempt = 0;; ++attempt) {
      try {
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength64(static_cast<Poco::Int64>(body.size()));
        for (const auto& [k, v] : headers) req.set(k, v);
        session_.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::string text;
        Poco::StreamCopier::copyToString(session_.receiveResponse(resp), text);
        if (answer) *answer = text;
        return resp.getStatus();
      } catch (const Poco::Exception&) {
        session_.reset();
        if (attempt >= 1) return 0;
      }
    }
  }

 private:
  Poco::Net::HTTPClientSession session_;
};

// Runs f(i) for i in [0, n) on `threads` threads, showing progress as `label`.
template <typename F>
void Parallel(const std::string& label, size_t n, int threads, F f) {
  Progress progress(label);
  std::atomic<size_t> next{0}, done{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (size_t i; (i = next++) < n;) {
        f(t, i);
        ++done;
      }
    });
  while (done < n) {
    progress.Update(done, n);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : pool) t.join();
  progress.Finish();
}

// When each replica's head first showed at least `tree_size` entries.
struct HeadLog {
  std::vector<std::pair<int64_t, uint64_t>> seen;  // (wall ms, tree size), growing
  int64_t FirstAtLeast(uint64_t tree_size) const {
    auto it = std::lower_bound(seen.begin(), seen.end(), tree_size,
                               [](const auto& s, uint64_t t) { return s.second < t; });
    return it == seen.end() ? -1 : it->first;
  }
};

std::string OrderId(size_t merchant, size_t i) { return "b" + std::to_string(merchant + 1) + "-" + std::to_string(i); }
int64_t OrderGross(size_t i) { return 100 + static_cast<int64_t>(i % 9900); }

int E2e(const Args& a) {
  const double seconds = a.count("seconds") ? std::stod(a.at("seconds")) : 10.0;
  const int connections = a.count("connections") ? std::stoi(a.at("connections")) : 64;
  const double offered = a.count("rate") ? std::stod(a.at("rate")) : 0;
  const size_t pool_size = a.count("notifications") ? std::stoull(a.at("notifications"))
                                                    : static_cast<size_t>(seconds * (offered > 0 ? offered * 1.01 + 10 : 12000));
  const double bound_s = a.count("bound-seconds") ? std::stod(a.at("bound-seconds")) : 0.5;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int witnesses = a.count("witnesses") ? std::stoi(a.at("witnesses")) : 0;
  const bool group = a.count("group") > 0;
  if (group && witnesses) throw std::invalid_argument("--group and --witnesses do not go together yet");
  if (witnesses < 0 || witnesses > 2) throw std::invalid_argument("--witnesses is 0, 1 or 2");
  if (seconds <= 0 || connections < 2 || pool_size < 2 || offered < 0) throw std::invalid_argument("--seconds, --connections or --notifications too small");
  std::string root = a.count("dir") ? a.at("dir") : (fs::temp_directory_path() / ("einvoice-bench-" + std::to_string(getpid()))).string();
  if (fs::exists(root) && !fs::is_empty(root)) throw std::invalid_argument(root + " exists and is not empty");
  fs::create_directories(root);

  const ledger::Suite suite = SuiteArg(a);
  ledger::UseSuite(suite);  // the nodes' keys and chain.suite, and this process's checks
  const std::string sig_name = suite == ledger::Suite::kSm2Sm3 ? "SM2" : "Ed25519";
  MachineBounds bounds = MeasureBounds(bound_s);

  std::printf("\nstarting an %s network: %s and two merchant nodes in %s%s\n",
              std::string(ledger::SuiteName(suite)).c_str(),
              group ? "an authority group of three members (and a three-member etcd)" : "an authority", root.c_str(),
              witnesses ? (", the authority's checkpoints cosigned by " + std::to_string(witnesses) + " of the merchants' witnesses").c_str() : "");
  Network net(root, connections + 16);  // a thread per connection (Poco), and some for the nodes' own calls
  net.Start(witnesses, group);
  std::vector<BenchNode*> nodes = {&net.authority(), &net.merchants()[0], &net.merchants()[1]};
  for (auto& f : net.followers()) nodes.push_back(&f);
  auto& merchants = net.merchants();
  const size_t per_merchant = pool_size / 2;

  // Orders first (checkout), then their notifications, signed ahead so that the load
  // generator spends its time sending, not signing.
  {
    std::vector<std::array<std::unique_ptr<Client>, 2>> clients(static_cast<size_t>(connections));
    for (auto& c : clients) c = {std::make_unique<Client>(merchants[0].port), std::make_unique<Client>(merchants[1].port)};
    std::atomic<int> failures{0};
    std::string failure;
    std::mutex fmu;
    Parallel("creating orders", 2 * per_merchant, connections, [&](int t, size_t k) {
      size_t m = k % 2, i = k / 2;
      int64_t g = OrderGross(i);
      std::string body = "{\"order_id\":\"" + OrderId(m, i) +
                         "\",\"items\":[{\"name\":\"bench item\",\"quantity\":\"1\",\"unit_price_fen\":" + std::to_string(g) +
                         ",\"gross_fen\":" + std::to_string(g) +
                         ",\"tax_rate\":\"0.13\"}],\"buyer\":{\"name\":\"北京海淀科技有限公司\",\"tax_id\":\"91110108MA01G7GK9M\"}}";
      std::string answer;
      int st = clients[static_cast<size_t>(t)][m]->Post("/v1/orders", body, {{"Authorization", "Bearer " + merchants[m].token}}, &answer);
      // A 409 duplicate_order can only be this bench's own earlier attempt that was answered
      // too late (the client retried): the order exists, as wanted.
      bool made = st == 201 || (st == 409 && answer.find("duplicate_order") != std::string::npos);
      if (!made && ++failures == 1) {
        std::lock_guard lock(fmu);
        failure = std::to_string(st) + " " + answer;
      }
    });
    if (failures) throw std::runtime_error(std::to_string(failures.load()) + " orders failed, first: " + failure);
  }
  std::vector<std::vector<payment::SignedNotification>> notes(2, std::vector<payment::SignedNotification>(per_merchant));
  {
    auto keys = net.PlatformKeys();
    int64_t now = WallMs() / 1000;
    Parallel("signing notifications", 2 * per_merchant, cores, [&](int, size_t k) {
      size_t m = k % 2, i = k / 2;
      notes[m][i] = payment::WechatTransaction(keys, OrderId(m, i), "T" + OrderId(m, i), OrderGross(i), now);
    });
  }

  // The replicas' heads, watched from the side while the load runs.
  std::vector<HeadLog> heads(2);  // the watcher's own until it is joined
  HeadLog cosigned;               // the authority's GET /checkpoint, with witnesses; the same
  std::array<std::atomic<uint64_t>, 2> replica_size{};
  std::atomic<uint64_t> cosigned_size{0};
  std::atomic<bool> stop_watch{false};
  std::thread watcher([&] {
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> s;
    for (auto& m : merchants) s.push_back(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", m.port));
    Poco::Net::HTTPClientSession checkpoints("127.0.0.1", net.authority().port);
    while (!stop_watch) {
      if (witnesses) {
        try {
          Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/checkpoint", Poco::Net::HTTPMessage::HTTP_1_1);
          checkpoints.sendRequest(req);
          Poco::Net::HTTPResponse resp;
          std::string body;
          Poco::StreamCopier::copyToString(checkpoints.receiveResponse(resp), body);
          size_t l1 = body.find('\n'), l2 = l1 == std::string::npos ? l1 : body.find('\n', l1 + 1);
          if (resp.getStatus() == 200 && l2 != std::string::npos) {
            uint64_t size = std::stoull(body.substr(l1 + 1, l2 - l1 - 1));
            if (cosigned.seen.empty() || cosigned.seen.back().second < size) {
              cosigned.seen.push_back({WallMs(), size});
              cosigned_size = size;
            }
          }
        } catch (const std::exception&) {
          checkpoints.reset();
        }
      }
      for (size_t m = 0; m < 2; ++m) {
        try {
          Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/v1/chain/head", Poco::Net::HTTPMessage::HTTP_1_1);
          s[m]->sendRequest(req);
          Poco::Net::HTTPResponse resp;
          std::string body;
          Poco::StreamCopier::copyToString(s[m]->receiveResponse(resp), body);
          uint64_t size = NumberAfter(body, "\"tree_size\"");
          if (heads[m].seen.empty() || heads[m].seen.back().second < size) {
            heads[m].seen.push_back({WallMs(), size});
            replica_size[m] = size;  // what the main thread may read while this one runs
          }
        } catch (const Poco::Exception&) {
          s[m]->reset();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  // The load: `connections` keep-alive connections, half to each merchant. Closed loop: each
  // sends its next notification as soon as the previous one is answered. Open loop (--rate):
  // notifications fall due at a fixed rate, alternating between the merchants.
  std::vector<std::vector<int64_t>> sent_ms(2, std::vector<int64_t>(per_merchant, -1));  // -1: not acknowledged
  std::vector<std::vector<std::string>> wire(2, std::vector<std::string>(per_merchant));
  for (size_t m = 0; m < 2; ++m)
    for (size_t i = 0; i < per_merchant; ++i) {
      const auto& n = notes[m][i];
      std::string& w = wire[m][i];
      w = "POST /v1/callbacks/wechatpay HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          "Content-Length: " + std::to_string(n.body.size()) + "\r\n";
      for (const auto& [k, v] : n.headers) w += k + ": " + v + "\r\n";
      w += "\r\n" + n.body;
    }
  std::array<size_t, 2> next{0, 0};
  uint64_t acked = 0, refused = 0;
  bench::LoadPlan plan;
  plan.ports = {merchants[0].port, merchants[1].port};
  plan.connections = connections;
  plan.seconds = seconds;
  plan.rate = offered;
  plan.next = [&](size_t m, size_t* id) -> const std::string* {
    if (next[m] >= per_merchant) return nullptr;
    *id = m * per_merchant + next[m];
    return &wire[m][next[m]++];
  };
  plan.answered = [&](size_t id, int status, int64_t sent_wall_ms) {
    if (status == 204) {
      sent_ms[id / per_merchant][id % per_merchant] = sent_wall_ms;
      ++acked;
    } else {
      ++refused;
    }
  };
  std::vector<ProcUsage> before;
  for (BenchNode* n : nodes) before.push_back(UsageOf(n->pid));
  double self_before = SelfCpuSeconds();
  const int64_t start_ms = WallMs();
  bench::LoadOutcome load;
  {
    // The load runs on this thread; progress is shown from another.
    std::atomic<bool> done{false};
    std::thread shown([&] {
      Progress progress("paying");
      auto t0 = BenchClock::now();
      while (!done) {
        progress.Update(static_cast<uint64_t>(SecondsSince(t0) * 10), static_cast<uint64_t>(seconds * 10));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      progress.Finish();
    });
    try {
      load = bench::DriveLoad(plan);
    } catch (...) {
      done = true;
      shown.join();
      throw;
    }
    done = true;
    shown.join();
  }
  const bool ran_out = load.ran_out;
  const double drive_s = load.seconds;

  // Until every acknowledged payment's invoice is sealed and both replicas hold it.
  const uint64_t total_acked = acked;
  uint64_t authority_size = 0;
  bool level = false;
  {
    Progress progress("sealing and replicating");
    auto wait_start = BenchClock::now();
    while (SecondsSince(wait_start) < 600) {
      uint64_t sealed = 0;
      for (auto& m : merchants) {
        std::string page;
        HttpStatus("127.0.0.1", m.port, "GET", "/metrics", "", "", &page);
        sealed += NumberAfter(page, "einvoice_invoices{status=\"sealed\"}");
      }
      std::string head;
      HttpStatus("127.0.0.1", net.authority().port, "GET", "/v1/chain/head", "", "", &head);
      authority_size = NumberAfter(head, "\"tree_size\"");
      progress.Update(sealed, total_acked);
      if (sealed >= total_acked && replica_size[0] >= authority_size && replica_size[1] >= authority_size &&
          authority_size > 0 && (!witnesses || cosigned_size >= authority_size)) {
        level = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    progress.Finish();
  }
  std::vector<ProcUsage> after;
  for (BenchNode* n : nodes) after.push_back(UsageOf(n->pid));
  // A group's leader: how long a proposal took to be held by a majority.
  double commit_p50 = 0, commit_p99 = 0;
  if (group) {
    std::string page;
    HttpStatus("127.0.0.1", net.authority().port, "GET", "/metrics", "", "", &page);
    auto quantile = [&](const std::string& q) {
      const std::string key = "einvoice_group_commit_ms{quantile=\"" + q + "\"} ";
      size_t at = page.find(key);
      return at == std::string::npos ? 0.0 : std::strtod(page.c_str() + at + key.size(), nullptr);
    };
    commit_p50 = quantile("0.5");
    commit_p99 = quantile("0.99");
  }
  double self_cpu = SelfCpuSeconds() - self_before;
  stop_watch = true;
  watcher.join();
  net.Stop();
  if (!level) std::cerr << "bench e2e: the nodes did not seal and replicate everything within 10 minutes\n";

  // Where each acknowledged payment's invoice landed, from the authority's own chain.
  std::vector<double> to_sealed_ms, to_replicated_ms, block_to_cosigned_ms, to_cosigned_ms;
  uint64_t on_chain = 0, duplicates = 0, last_replicated_ms = 0;
  {
    std::vector<std::vector<uint8_t>> found(2, std::vector<uint8_t>(per_merchant, 0));
    auto store = ledger::BlockStore::OpenExisting(net.authority().db).value();
    auto head = store->Head().value();
    uint64_t begin = 0;
    Progress progress("reading the authority's chain");
    for (uint64_t h = 1; h <= head.header.height; ++h) {
      auto block = store->BlockAt(h).value();
      const int64_t cosigned_at = witnesses ? cosigned.FirstAtLeast(block.header.tree_size) : -1;
      if (cosigned_at >= 0 && static_cast<int64_t>(block.header.time_ms) >= start_ms)
        block_to_cosigned_ms.push_back(static_cast<double>(cosigned_at - static_cast<int64_t>(block.header.time_ms)));
      auto leaves = store->Leaves(begin, block.header.tree_size).value();
      begin = block.header.tree_size;
      for (const auto& leaf : leaves) {
        if (!leaf.entry) continue;
        auto entry = ledger::Entry::Decode(*leaf.entry);
        if (!entry.ok() || entry->kind != "issue") continue;
        auto event = invoice::DecodeEvent("issue", std::string(entry->payload.begin(), entry->payload.end()));
        if (!std::holds_alternative<invoice::Event>(event)) continue;
        const std::string& pay = std::get<invoice::IssueEvent>(std::get<invoice::Event>(event)).invoice.payment_id;
        // "Tb<m>-<i>"
        if (pay.size() < 4 || pay[0] != 'T' || pay[1] != 'b') continue;
        size_t dash = pay.find('-');
        size_t m = std::stoul(pay.substr(2, dash - 2)) - 1, i = std::stoul(pay.substr(dash + 1));
        if (m > 1 || i >= per_merchant) continue;
        if (found[m][i]++) {
          ++duplicates;
          continue;
        }
        if (sent_ms[m][i] < 0) continue;  // paid but not acknowledged in time (the load stopped)
        ++on_chain;
        to_sealed_ms.push_back(static_cast<double>(static_cast<int64_t>(block.header.time_ms) - sent_ms[m][i]));
        if (cosigned_at >= 0) to_cosigned_ms.push_back(static_cast<double>(cosigned_at - sent_ms[m][i]));
        int64_t r0 = heads[0].FirstAtLeast(leaf.index + 1), r1 = heads[1].FirstAtLeast(leaf.index + 1);
        if (r0 >= 0 && r1 >= 0) {
          int64_t both = std::max(r0, r1);
          to_replicated_ms.push_back(static_cast<double>(both - sent_ms[m][i]));
          last_replicated_ms = std::max<uint64_t>(last_replicated_ms, static_cast<uint64_t>(both));
        }
      }
      progress.Update(h, head.header.height);
    }
    progress.Finish();
  }
  std::vector<double>& lat = load.latency_us;
  std::sort(lat.begin(), lat.end());
  std::sort(to_sealed_ms.begin(), to_sealed_ms.end());
  std::sort(to_replicated_ms.begin(), to_replicated_ms.end());
  std::sort(block_to_cosigned_ms.begin(), block_to_cosigned_ms.end());
  std::sort(to_cosigned_ms.begin(), to_cosigned_ms.end());

  const double span_s = last_replicated_ms > static_cast<uint64_t>(start_ms)
                            ? static_cast<double>(last_replicated_ms - static_cast<uint64_t>(start_ms)) / 1000.0
                            : drive_s;
  const double rate = static_cast<double>(on_chain) / span_s;
  const double callbacks_rate = static_cast<double>(total_acked) / drive_s;
  const char* names[] = {group ? "authority (the group's leader)" : "authority", "merchant-1", "merchant-2",
                         "authority member 2 (follower)", "authority member 3 (follower)"};
  double nodes_cpu = 0;
  for (size_t k = 0; k < nodes.size(); ++k) nodes_cpu += after[k].cpu_s - before[k].cpu_s;
  const double per_invoice_us = on_chain ? 1e6 * (nodes_cpu + self_cpu) / static_cast<double>(on_chain) : 0;

  std::string mode = offered > 0 ? "offered at " + std::to_string(static_cast<long>(offered)) + "/s (open loop)"
                              : std::string("each sending as soon as answered (closed loop)");
  std::printf("\nend to end: %d keep-alive connections, %s, for %.1f s%s\n", connections, mode.c_str(), drive_s,
              ran_out ? " (stopped early: the pre-signed notifications ran out; raise --notifications)" : "");
  BenchRow("callbacks acknowledged (204)", static_cast<double>(total_acked), "");
  BenchRow("callbacks refused or failed", static_cast<double>(refused), "");
  BenchRow("acknowledged invoices sealed and on both replicas", static_cast<double>(on_chain), "");
  BenchRow("acknowledged but missing from the chain", static_cast<double>(total_acked - std::min(total_acked, on_chain)), "");
  BenchRow("invoices sealed twice", static_cast<double>(duplicates), "");
  std::printf("%-48s %14.0f invoices/s (first callback to last replicated: %.2f s)\n",
              "sustained sealed + replicated", rate, span_s);
  std::printf("%-48s %14.0f /s\n", "callbacks acknowledged during the load", callbacks_rate);
  std::printf("%-48s p50 %.1f ms, p99 %.1f ms, p999 %.1f ms\n", "callback latency", Percentile(lat, 0.5) / 1000,
              Percentile(lat, 0.99) / 1000, Percentile(lat, 0.999) / 1000);
  std::printf("%-48s p50 %.0f ms, p99 %.0f ms\n", "callback to sealed (block time)", Percentile(to_sealed_ms, 0.5),
              Percentile(to_sealed_ms, 0.99));
  std::printf("%-48s p50 %.0f ms, p99 %.0f ms\n", "callback to on both replicas", Percentile(to_replicated_ms, 0.5),
              Percentile(to_replicated_ms, 0.99));
  if (group)
    std::printf("%-48s p50 %.1f ms, p99 %.1f ms\n", "group: block proposed to held by a majority", commit_p50, commit_p99);
  if (witnesses) {
    std::printf("%-48s p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu blocks)\n", "cosigning: block sealed to cosigned checkpoint",
                Percentile(block_to_cosigned_ms, 0.5), Percentile(block_to_cosigned_ms, 0.99),
                block_to_cosigned_ms.empty() ? 0.0 : block_to_cosigned_ms.back(), block_to_cosigned_ms.size());
    std::printf("%-48s p50 %.0f ms, p99 %.0f ms\n", "callback to final (cosigned)", Percentile(to_cosigned_ms, 0.5),
                Percentile(to_cosigned_ms, 0.99));
  }
  for (size_t k = 0; k < nodes.size(); ++k)
    std::printf("%-48s %8.0f us CPU per invoice, peak RSS %ld MB\n", names[k],
                on_chain ? 1e6 * (after[k].cpu_s - before[k].cpu_s) / static_cast<double>(on_chain) : 0,
                after[k].peak_rss_kb / 1024);
  std::printf("%-48s %8.0f us CPU per invoice\n", "load generator (this process)",
              on_chain ? 1e6 * self_cpu / static_cast<double>(on_chain) : 0);
  std::printf("%-48s %8.0f us CPU per invoice, all processes\n", "total", per_invoice_us);

  std::printf("\nratios to the bounds measured above\n");
  auto ratio = [](const std::string& what, double v, double bound, const std::string& why) {
    std::printf("  %-56s %6.2f  (%s)\n", what.c_str(), bound > 0 ? v / bound : 0, why.c_str());
  };
  ratio("invoices/s / CPU bound (cores / CPU per invoice)", rate, per_invoice_us > 0 ? cores * 1e6 / per_invoice_us : 0,
        std::to_string(cores) + " cores fully used would give " +
            std::to_string(static_cast<long>(per_invoice_us > 0 ? cores * 1e6 / per_invoice_us : 0)) + "/s");
  const double floor_rate = cores / bounds.FloorSecondsPerInvoice(suite);
  const bool sm2 = suite == ledger::Suite::kSm2Sm3;
  ratio("invoices/s / crypto and HTTP floor", rate, floor_rate,
        std::to_string(cores) + " cores doing only RSA verify + " + sig_name + " sign + " + sig_name +
            " verify + one trivial request per invoice would give " + std::to_string(static_cast<long>(floor_rate)) + "/s");
  ratio("invoices/s / " + sig_name + " verify/s", rate, sm2 ? bounds.sm2_verify : bounds.ed25519_verify,
        "the authority checks every entry's signature");
  ratio("invoices/s / " + sig_name + " sign/s", rate, sm2 ? bounds.sm2_sign : bounds.ed25519_sign,
        "each merchant signs every invoice entry");
  ratio("callbacks/s / Poco trivial requests/s", callbacks_rate, bounds.poco_requests, "the HTTP layer alone");
  ratio("invoices/s / SQLite durable 1-row commits/s", rate, bounds.sqlite_commits, "one fsync per callback would cap here");
  ratio("invoices/s / SQLite durable rows/s in batches", rate, bounds.sqlite_rows, "batched writes");
  if (!a.count("keep")) fs::remove_all(root);
  else std::printf("\nthe nodes' folders and logs are kept in %s\n", root.c_str());
  return (total_acked == on_chain && duplicates == 0 && level) ? 0 : 1;
}

}  // namespace

void AddBenchNodeVerbs(std::vector<Verb>& verbs) {
  Verb e2e{"bench e2e",
           "the whole stack: an authority and two merchant nodes on loopback, paid with signed WeChat Pay notifications",
           "[--seconds S] [--connections C] [--rate R] [--notifications N] [--witnesses K] [--group] [--bound-seconds S] [--dir DIR] [--keep]",
           {}, E2e};
  e2e.options.addOption(Optional("seconds", "S", "how long to send notifications (default 10)"));
  e2e.options.addOption(Optional("connections", "C", "concurrent keep-alive connections, half to each merchant (default 64)"));
  e2e.options.addOption(Optional("rate", "R",
                                 "offer R notifications per second (open loop; latency counts from when each was due) "
                                 "instead of sending as fast as the connections are answered"));
  e2e.options.addOption(Optional("notifications", "N", "orders made and notifications signed ahead (default 12,000 per second, or R per second)"));
  e2e.options.addOption(Optional("witnesses", "K",
                                 "the authority's checkpoints cosigned by K (1 or 2) of the merchants' witnesses, all "
                                 "needed; reports the cosigning latency (default 0: no witnesses)"));
  e2e.options.addOption(SuiteOption("the network's suite"));
  e2e.options.addOption(Flag("group", "the authority as a group of three members over a three-member etcd (app/group)"));
  e2e.options.addOption(Optional("bound-seconds", "S", "time for each machine bound measured first (default 0.5)"));
  e2e.options.addOption(Optional("dir", "DIR", "where the nodes' folders go (default a new temp folder, removed after)"));
  e2e.options.addOption(Flag("keep", "keep the nodes' folders and logs"));
  verbs.push_back(std::move(e2e));
}

}  // namespace app::cli
