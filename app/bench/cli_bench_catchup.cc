// einvoice bench catchup and bench startup: a wiped node catching up with a chain served
// over loopback HTTP through the node's own replicator, and a node's start to /healthz.
// app/bench/README.md has the figures and how to read them.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include "app/base/or_throw.h"
#include "app/base/progress.h"
#include "app/bench/cli_bench.h"
#include "app/chain/chain_json.h"
#include "app/cli/cli.h"
#include "app/node/node.h"
#include "app/node/node_process.h"
#include "app/replica/replicator.h"
#include "ledger/block_store.h"
#include "ledger/keys.h"

namespace app::cli {
namespace {

namespace fs = std::filesystem;

// A stand-in authority for catch-up: serves /v1/chain/head and /v1/chain/blocks from a
// chain file with the same encoders as the authority's routes, revealing one entry in
// `reveal_every` (the replica's own; the others go as leaf hashes only).
class ChainServer : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  ChainServer(ledger::BlockStore& store, uint64_t reveal_every) : store_(store), reveal_every_(reveal_every) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(store_, mu_, reveal_every_);
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    Handler(ledger::BlockStore& store, std::mutex& mu, uint64_t reveal_every)
        : store_(store), mu_(mu), reveal_every_(reveal_every) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      std::lock_guard lock(mu_);
      Poco::URI uri(req.getURI());
      std::ostringstream out;
      std::string page;
      if (uri.getPath() == "/v1/chain/head") {
        auto o = HeadJson(store_.Head().value());
        o->set("authority_public_key", ledger::ToHex(store_.authority_key()));
        o->stringify(out);
      } else if (uri.getPath() == "/v1/chain/blocks") {
        uint64_t from = 0, limit = 100;
        bool binary = false;
        for (const auto& [k, v] : uri.getQueryParameters()) {
          if (k == "from") from = std::stoull(v);
          if (k == "limit") limit = std::stoull(v);
          if (k == "format") binary = v == "binary";
        }
        auto own = [this](const ledger::LeafRecord& l) { return l.index % reveal_every_ == 0; };
        auto written = binary ? WriteBlocksBinary(store_, from, limit, &page, own, kMaxEntriesPerPage)
                              : WriteBlocks(store_, from, limit, out, {}, own, kMaxEntriesPerPage);
        if (!written.ok()) resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
      } else {
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      }
      std::string body = page.empty() ? out.str() : std::move(page);
      resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
      resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    }

   private:
    ledger::BlockStore& store_;
    std::mutex& mu_;
    uint64_t reveal_every_;
  };
  ledger::BlockStore& store_;
  uint64_t reveal_every_;
  std::mutex mu_;
};

int Catchup(const Args& a) {
  const std::string db = a.at("node-db");
  UseSuiteOfStore(db);  // the store's chain, either suite
  auto source = ledger::BlockStore::OpenExisting(db);
  if (!source.ok()) {
    std::cerr << "bench catchup: " << source.status().ToString() << "\n";
    return 2;
  }
  const uint64_t target = (*source)->Head().value().header.tree_size;
  std::string wiped = a.count("into") ? a.at("into")
                                      : (fs::temp_directory_path() / ("einvoice-catchup-" + std::to_string(getpid()) + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(wiped + suffix);

  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  const uint64_t reveal_every = a.count("full-entries") ? 1 : 100;
  Poco::Net::HTTPServer server(new ChainServer(**source, reveal_every), socket, params);
  server.start();

  auto key = ledger::PrivateKey::Generate().value();
  auto store = ledger::BlockStore::Open(wiped, (*source)->authority_key());
  OrThrow(store);
  PeerLink link("http://127.0.0.1:" + std::to_string(server.port()));
  NodeRequestSigner signer("bench-replica", key, SystemClockMs);
  Replicator replicator(**store, link, signer);
  Progress progress("catching up");
  auto start = BenchClock::now();
  uint64_t have = 0;
  while (have < target) {
    uint64_t n = replicator.CatchUp(1000);
    if (replicator.alarm()) {
      std::cerr << "bench catchup: " << replicator.alarm_reason() << "\n";
      return 1;
    }
    have = (*store)->Head().value().header.tree_size;
    progress.Update(have, target);
    if (n == 0) break;
  }
  progress.Finish();
  const double s = SecondsSince(start);
  server.stopAll(true);
  store->reset();
  if (!a.count("into"))
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(wiped + suffix);
  std::printf("catch-up of a wiped node: %llu entries in %.2f s = %.0f entries/s (%s; over loopback HTTP, through the "
              "node's replicator)\n",
              static_cast<unsigned long long>(have), s, static_cast<double>(have) / s,
              reveal_every == 1 ? "every entry in full" : "1 entry in 100 in full, the others as leaf hashes");
  // Each entry is a leaf row (with its entry where held), an eighth of a tree-node row and
  // a leaf key written later in a sorted batch: about 1.2 rows.
  double rows = SqliteRowsPerSecond(fs::path(wiped).parent_path().string(), 1.0, 1000, reveal_every == 1 ? 330 : 40);
  std::printf("bound: SQLite durable rows of %d bytes in 1,000-row commits %.0f rows/s, so at most %.0f entries/s at "
              "about 1.2 rows each; catch-up is at %.0f%% of that\n",
              reveal_every == 1 ? 330 : 40, rows, rows / 1.2, 100.0 * (static_cast<double>(have) / s) / (rows / 1.2));
  return have == target ? 0 : 1;
}

// How long a node takes from its start to answering /healthz, and its peak RSS then: the
// store opened and the lifecycle loaded (or, on a first start without node.lifecycle.db,
// built from the whole chain).
int Startup(const Args& a) {
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config(new Poco::Util::PropertyFileConfiguration(a.at("config")));
  Poco::Net::SocketAddress listen(config->getString("node.listen", "127.0.0.1:8700"));
  const uint16_t port = listen.port();
  if (HttpStatus("127.0.0.1", port, "GET", "/healthz") != 0)
    throw std::invalid_argument("something already answers on port " + std::to_string(port));
  std::string log = a.count("log") ? a.at("log") : "/dev/null";
  auto start = BenchClock::now();
  pid_t pid = SpawnNode(NodeBinary(), a.at("config"), log);
  bool up = WaitHealthy("127.0.0.1", port, 600);
  const double took = SecondsSince(start);
  ProcUsage usage = UsageOf(pid);
  std::string head;
  HttpStatus("127.0.0.1", port, "GET", "/v1/chain/head", "", "", &head);
  StopNodes({&pid});
  if (!up) {
    std::cerr << "bench startup: the node did not answer /healthz within 10 minutes\n";
    return 1;
  }
  uint64_t entries = NumberAfter(head, "\"tree_size\"");
  std::printf("startup to /healthz: %.3f s with %llu entries on the chain (%.1f us per entry); peak RSS %ld MB (%.0f bytes "
              "per entry)\n",
              took, static_cast<unsigned long long>(entries), entries ? 1e6 * took / static_cast<double>(entries) : 0,
              usage.peak_rss_kb / 1024,
              entries ? 1024.0 * static_cast<double>(usage.peak_rss_kb) / static_cast<double>(entries) : 0);
  return 0;
}

}  // namespace

void AddBenchCatchupVerbs(std::vector<Verb>& verbs) {
  Verb catchup{"bench catchup", "catch-up speed of a wiped node: a chain replayed through the node's replicator over loopback HTTP",
               "--node-db PATH [--full-entries] [--into PATH]", {}, Catchup};
  catchup.options.addOption(Required("node-db", "PATH", "the chain to catch up to (make one with chain synth)"));
  catchup.options.addOption(Flag("full-entries",
                                 "every entry in full, as a standby of the bureau would hold them (default: a taxpayer "
                                 "node, which holds 1 entry in 100 in full, its own, and the rest as leaf hashes)"));
  catchup.options.addOption(Optional("into", "PATH", "keep the caught-up store here (default a temp file, removed after)"));
  verbs.push_back(std::move(catchup));
  Verb startup{"bench startup", "a node's start: time until it answers /healthz, and its peak RSS",
               "--config FILE [--log FILE]", {}, Startup};
  startup.options.addOption(Required("config", "FILE", "the node's properties (bench e2e --keep leaves some)"));
  startup.options.addOption(Optional("log", "FILE", "where the node's output goes (default: discarded)"));
  verbs.push_back(std::move(startup));
}

}  // namespace app::cli
