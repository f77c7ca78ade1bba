// Shared by the bench verbs (cli_bench.cc: bounds, verify, proof; cli_bench_e2e.cc: e2e,
// catchup): timing helpers and the machine's bounds, measured in the same run as the
// figure they bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ledger/suite.h"
#include "app/cli/cli.h"

namespace app::cli {

using BenchClock = std::chrono::steady_clock;
inline double SecondsSince(BenchClock::time_point since) {
  return std::chrono::duration<double>(BenchClock::now() - since).count();
}

// One printed result line: what, the value, its unit.
void BenchRow(const std::string& what, double value, const std::string& unit);

// The `bench ...` verbs: cli_bench.cc (bounds, e2e, verify, proofs), cli_bench_nodes.cc
// (the network modes), cli_bench_catchup.cc (catch-up and starts).
void AddBenchVerbs(std::vector<Verb>& verbs);
void AddBenchNodeVerbs(std::vector<Verb>& verbs);
void AddBenchCatchupVerbs(std::vector<Verb>& verbs);

// The p-th percentile (0..1) of `sorted`, 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

struct MachineBounds {
  double ed25519_sign = 0, ed25519_verify = 0;  // per second, one core
  double sm2_sign = 0, sm2_verify = 0;          // SM2 with SM3 and the chain's ID, per second, one core
  double p256_sign = 0, p256_verify = 0;
  double leaf_hash = 0;           // SHA-256 leaf hashes of a 330-byte entry per second
  double sm3_leaf_hash = 0;       // the same with SM3
  double sqlite_commits = 0;      // durable 1-row commits per second
  double sqlite_rows = 0;         // durable rows per second in 1,000-row commits
  double poco_requests = 0;       // trivial keep-alive requests per second, 4 clients per core
  double rsa_verify = 0;          // RSA-2048 SHA-256 verifications per second (WeChat Pay's signature)
  int cores = 1;
  // The CPU an invoice cannot do without, in core-seconds: the payment provider's signature
  // checked, the entry signed by the merchant and checked by the authority, and one trivial
  // HTTP request (client and server) for the callback; signatures of the given suite's.
  double FloorSecondsPerInvoice(ledger::Suite suite = ledger::Suite::kEd25519Sha256) const {
    const bool sm2 = suite == ledger::Suite::kSm2Sm3;
    return 1 / rsa_verify + 1 / (sm2 ? sm2_sign : ed25519_sign) + 1 / (sm2 ? sm2_verify : ed25519_verify) +
           cores / poco_requests;
  }
};

// CPU seconds (user + system) and peak RSS (kB) of a running process, from /proc.
struct ProcUsage {
  double cpu_s = 0;
  long peak_rss_kb = 0;
};
ProcUsage UsageOf(int pid);
double SelfCpuSeconds();  // of this process
// A number from a JSON text or metrics page: the digits after `key`, or 0.
uint64_t NumberAfter(const std::string& text, const std::string& key);

// A fresh RSA-2048 key pair standing in for the WeChat Pay platform's: (private PEM, public PEM).
std::pair<std::string, std::string> PlatformKeyPair();

// Durable inserts into SQLite in `dir` as the block store writes them (WAL,
// synchronous=FULL): `batch` rows of `row_bytes` per transaction, for about `seconds`.
double SqliteRowsPerSecond(const std::string& dir, double seconds, int batch, size_t row_bytes);

// Measures (and prints) each bound for about `each` seconds.
MachineBounds MeasureBounds(double each);

}  // namespace app::cli
