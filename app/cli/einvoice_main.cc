// einvoice: the operator CLI (keys, chain verification and export, tokens, payments, the
// demo, proofs, audit) and the benchmarks.
#include "app/bench/cli_bench.h"
#include "app/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<app::cli::Verb> verbs = app::cli::OperatorVerbs();
  app::cli::AddBenchVerbs(verbs);
  app::cli::AddBenchNodeVerbs(verbs);
  app::cli::AddBenchCatchupVerbs(verbs);
  return app::cli::Main(argc, argv, std::move(verbs));
}
