// einvoice bench: the machine's own bounds, and the chain's verification and proof speed,
// measured in the same run (app/bench/README.md). No figure here is asserted by a test;
// ctest only runs each mode briefly so that they keep working.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <sstream>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "app/cli/cli.h"
#include "app/bench/cli_bench.h"
#include "app/merchant/payment_crypto.h"
#include "app/base/progress.h"
#include "ledger/block_store.h"
#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/sqlite_db.h"
#include "ledger/verifier.h"

namespace app::cli {
namespace {

using Clock = BenchClock;
double Seconds(Clock::time_point since) { return SecondsSince(since); }

// Runs `op` repeatedly for about `seconds`; returns operations per second.
double Rate(double seconds, const std::function<void()>& op) {
  uint64_t n = 0;
  auto start = Clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 64; ++i) op();
    n += 64;
    elapsed = Seconds(start);
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

void Row(const std::string& what, double value, const std::string& unit) { BenchRow(what, value, unit); }

struct P256 {
  EVP_PKEY* key = nullptr;
  P256() { key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); }
  ~P256() { EVP_PKEY_free(key); }
  std::vector<unsigned char> Sign(const std::string& msg) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    std::vector<unsigned char> sig(len);
    EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    return sig;
  }
  bool Verify(const std::string& msg, const std::vector<unsigned char>& sig) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MD_CTX_free(ctx);
    return ok == 1;
  }
};

class OkHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    resp.setContentLength(2);
    resp.send() << "ok";
  }
};
class OkFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new OkHandler; }
};

// A trivial Poco request over loopback keep-alive connections: the HTTP layer's own bound.
double PocoRequests(double seconds, int clients) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(clients + 2);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(1000000);
  Poco::ThreadPool pool(2, clients + 4);
  Poco::Net::HTTPServer server(new OkFactory, pool, socket, params);
  server.start();
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      Poco::Net::HTTPClientSession s("127.0.0.1", server.port());
      s.setKeepAlive(true);
      while (!stop) {
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/", Poco::Net::HTTPMessage::HTTP_1_1);
        s.sendRequest(req);
        Poco::Net::HTTPResponse resp;
        std::string body;
        Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
        ++done;
      }
    });
  auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double rate = static_cast<double>(done.load()) / Seconds(start);
  server.stopAll(true);
  return rate;
}

int Bounds(const Args& a) {
  const double s = a.count("seconds") ? std::stod(a.at("seconds")) : 12.0;
  MeasureBounds(std::max(0.2, s / 8));
  return 0;
}

// Verification speed of an existing chain, with the hashing bound of the same run.
int VerifySpeed(const Args& a) {
  const std::string db = a.at("node-db");
  UseSuiteOfStore(db);  // the store's chain, either suite
  Progress progress("verifying");
  ledger::VerifyOptions o;
  o.progress = [&](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto r = ledger::VerifyChain(db, o);
  progress.Finish();
  if (!r.ok() || !r->ok) {
    std::cerr << "bench verify: the chain does not verify: " << (r.ok() ? r->bad_item + ": " + r->problem : r.status().ToString())
              << "\n";
    return 1;
  }
  ledger::Bytes entry(330, 0x5a);
  double hashes = Rate(1.0, [&] { entry[0] = ledger::LeafHash(entry).bytes[0]; });
  std::printf("full verification: %llu entries in %.3f s = %.0f entries/s (%.0f%% of the SHA-256 leaf-hash bound %.0f/s measured now)\n",
              static_cast<unsigned long long>(r->entries), r->seconds, r->entries / r->seconds,
              100.0 * (r->entries / r->seconds) / hashes, hashes);
  return 0;
}

long RssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Inclusion-proof latency on an existing chain, and what opening it costs.
int ProofSpeed(const Args& a) {
  const std::string db = a.at("node-db");
  UseSuiteOfStore(db);  // the store's chain, either suite
  const int samples = a.count("samples") ? std::stoi(a.at("samples")) : 2000;
  auto start = Clock::now();
  auto store = ledger::BlockStore::OpenExisting(db);
  if (!store.ok()) {
    std::cerr << "bench proof: " << store.status().ToString() << "\n";
    return 2;
  }
  auto head = (*store)->Head();
  double open_s = Seconds(start);
  if (!head.ok() || head->header.tree_size == 0) {
    std::cerr << "bench proof: the chain is empty\n";
    return 2;
  }
  const uint64_t n = head->header.tree_size;
  std::mt19937_64 rng(42);
  std::vector<double> us;
  Progress progress("proving");
  for (int i = 0; i < samples; ++i) {
    uint64_t index = rng() % n;
    auto t = Clock::now();
    auto leaf = (*store)->Leaves(index, index + 1);
    auto proof = (*store)->InclusionProof(index, n);
    bool ok = leaf.ok() && proof.ok() &&
              ledger::VerifyInclusion(index, n, leaf->front().leaf_hash, *proof, head->header.tree_root);
    us.push_back(Seconds(t) * 1e6);
    if (!ok) {
      std::cerr << "bench proof: the proof of leaf " << index << " does not verify\n";
      return 1;
    }
    progress.Update(static_cast<uint64_t>(i + 1), static_cast<uint64_t>(samples));
  }
  progress.Finish();
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return Percentile(us, p); };
  std::printf("inclusion proof at %llu entries (read leaf + proof + verify), %d random leaves: p50 %.0f us, p99 %.0f us, max %.0f us\n",
              static_cast<unsigned long long>(n), samples, pct(0.50), pct(0.99), us.back());
  std::printf("opening the store: %.3f s; peak RSS of this process: %ld MB\n", open_s, RssKb() / 1024);
  return 0;
}

}  // namespace

double SqliteRowsPerSecond(const std::string& dir, double seconds, int batch, size_t row_bytes) {
  std::string path = dir + "/bench-sqlite-" + std::to_string(batch) + ".db";
  std::filesystem::remove(path);
  auto db = ledger::sql::Db::Open(path, ledger::sql::Db::Mode::kReadWrite).value();
  if (!db->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)").ok()) throw std::runtime_error("sqlite");
  std::string blob(row_bytes, 'x');
  uint64_t rows = 0;
  auto start = Clock::now();
  while (Seconds(start) < seconds) {
    ledger::sql::Transaction tx(db.get());
    if (!tx.begin_status().ok()) throw std::runtime_error("sqlite begin");
    for (int i = 0; i < batch; ++i) {
      auto s = db->Prepare("INSERT INTO t(v) VALUES (?1)");
      if (!s.ok() || !s->Bind(1, ledger::ByteView(reinterpret_cast<const uint8_t*>(blob.data()), blob.size())).Run().ok())
        throw std::runtime_error("sqlite insert");
    }
    if (!tx.Commit().ok()) throw std::runtime_error("sqlite commit");
    rows += static_cast<uint64_t>(batch);
  }
  double rate = static_cast<double>(rows) / Seconds(start);
  db.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return rate;
}

void BenchRow(const std::string& what, double value, const std::string& unit) {
  std::printf("%-48s %14.0f %s\n", what.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

ProcUsage UsageOf(int pid) {
  ProcUsage u;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto close_paren = text.rfind(')');
  if (close_paren != std::string::npos) {
    std::istringstream fields(text.substr(close_paren + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stoull(f);
      if (i == 15) stime = std::stoull(f);
    }
    u.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_kb = std::stol(line.substr(6));
  return u;
}

double SelfCpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// A number from a JSON text or metrics page: the digits after `key`, or 0.
uint64_t NumberAfter(const std::string& text, const std::string& key) {
  auto at = text.find(key);
  if (at == std::string::npos) return 0;
  at += key.size();
  while (at < text.size() && (text[at] == ' ' || text[at] == ':')) ++at;
  uint64_t v = 0;
  while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) v = v * 10 + static_cast<uint64_t>(text[at++] - '0');
  return v;
}

// A fresh RSA-2048 key pair standing in for the WeChat Pay platform's: (private PEM, public PEM).
std::pair<std::string, std::string> PlatformKeyPair() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!key) throw std::runtime_error("RSA key generation failed");
  auto pem = [&](bool priv) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (priv) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
  };
  auto pair = std::make_pair(pem(true), pem(false));
  EVP_PKEY_free(key);
  return pair;
}

MachineBounds MeasureBounds(double each) {
  MachineBounds b;
  std::printf("machine bounds (about %.1f s each, one core unless said)\n", each);
  const std::string msg(256, 'm');
  // Each suite's own, whichever this process works on (bench e2e --suite).
  auto ed = ledger::PrivateKey::Generate(ledger::Suite::kEd25519Sha256).value();
  auto ed_sig = ed.Sign(ledger::AsBytes(msg));
  Row("Ed25519 sign (256 B)", b.ed25519_sign = Rate(each, [&] { ed.Sign(ledger::AsBytes(msg)); }), "/s");
  Row("Ed25519 verify (256 B)", b.ed25519_verify = Rate(each, [&] {
        ledger::VerifySignature(ledger::Suite::kEd25519Sha256, ed.public_key(), ledger::AsBytes(msg), ed_sig);
      }), "/s");
  auto sm2 = ledger::PrivateKey::Generate(ledger::Suite::kSm2Sm3).value();
  auto sm2_sig = sm2.Sign(ledger::AsBytes(msg));
  Row("SM2 sign (SM3, ID 1234567812345678, 256 B)", b.sm2_sign = Rate(each, [&] { sm2.Sign(ledger::AsBytes(msg)); }), "/s");
  Row("SM2 verify (256 B)", b.sm2_verify = Rate(each, [&] {
        ledger::VerifySignature(ledger::Suite::kSm2Sm3, sm2.public_key(), ledger::AsBytes(msg), sm2_sig);
      }), "/s");
  P256 p;
  auto p_sig = p.Sign(msg);
  Row("P-256 ECDSA sign (256 B)", b.p256_sign = Rate(each, [&] { p.Sign(msg); }), "/s");
  Row("P-256 ECDSA verify (256 B)", b.p256_verify = Rate(each, [&] { p.Verify(msg, p_sig); }), "/s");
  auto [rsa_private, rsa_public] = PlatformKeyPair();
  auto rsa = payment::RsaPublicKey::FromPem(rsa_public);
  const std::string notice(1024, 'n');  // about a WeChat Pay notification's signed text
  const std::string rsa_sig = payment::SignRsaSha256(rsa_private, notice);
  Row("RSA-2048 verify (WeChat Pay signature, 1 KiB)",
      b.rsa_verify = Rate(each, [&] { rsa->VerifySha256(notice, rsa_sig); }), "/s");
  ledger::Bytes entry(330, 0x5a);
  // 0x00 || entry, as LeafHash hashes it, with each suite's hash.
  Row("SHA-256 leaf hash (330 B entry)",
      b.leaf_hash = Rate(each, [&] { entry[1] = static_cast<uint8_t>(ledger::Sha256(entry).bytes[0]); }), "/s");
  Row("SM3 leaf hash (330 B entry)",
      b.sm3_leaf_hash = Rate(each, [&] { entry[1] = static_cast<uint8_t>(ledger::Sm3(entry).bytes[0]); }), "/s");
  std::string dir = std::filesystem::temp_directory_path().string();
  Row("SQLite durable commits (1 row each)", b.sqlite_commits = SqliteRowsPerSecond(dir, each, 1, 330), "/s");
  Row("SQLite durable rows (1,000-row commits)", b.sqlite_rows = SqliteRowsPerSecond(dir, each, 1000, 330), "rows/s");
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Row("Poco trivial request, keep-alive, " + std::to_string(4 * cores) + " clients",
      b.poco_requests = PocoRequests(each, 4 * cores), "req/s");
  b.cores = cores;
  std::printf("floor: RSA verify + Ed25519 sign + Ed25519 verify + one trivial request = %.0f us of CPU per invoice,\n"
              "       so at most %.0f invoices/s on %d cores with nothing else to do\n",
              1e6 * b.FloorSecondsPerInvoice(), cores / b.FloorSecondsPerInvoice(), cores);
  const double sm2_floor = b.FloorSecondsPerInvoice(ledger::Suite::kSm2Sm3);
  std::printf("floor of an sm2-sm3 network (SM2 sign + SM2 verify instead) = %.0f us, at most %.0f invoices/s\n",
              1e6 * sm2_floor, cores / sm2_floor);
  return b;
}

void AddBenchVerbs(std::vector<Verb>& verbs) {
  Verb bounds{"bench bounds", "the machine's bounds: Ed25519, SM2 and P-256 sign/verify, RSA-2048 verify, SHA-256 and SM3 leaf hashes, SQLite durable inserts, trivial Poco requests, and the floor per invoice they make",
              "[--seconds S]", {}, Bounds};
  bounds.options.addOption(Optional("seconds", "S", "about how long in all (default 12)"));
  verbs.push_back(std::move(bounds));
  Verb verify{"bench verify", "full-chain verification speed of a chain (make one with chain synth), with the hashing bound",
              "--node-db PATH", {}, VerifySpeed};
  verify.options.addOption(Required("node-db", "PATH", "the chain's database"));
  verbs.push_back(std::move(verify));
  Verb proof{"bench proof", "inclusion-proof latency on a chain (make one with chain synth), its opening time and RSS",
             "--node-db PATH [--samples N]", {}, ProofSpeed};
  proof.options.addOption(Required("node-db", "PATH", "the chain's database"));
  proof.options.addOption(Optional("samples", "N", "random leaves to prove (default 2000)"));
  verbs.push_back(std::move(proof));
}

}  // namespace app::cli
