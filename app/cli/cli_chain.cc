// einvoice chain verify | export: check a node's chain, or write it as JSON Lines.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/OptionException.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "app/base/or_throw.h"
#include "app/base/progress.h"
#include "app/base/secrets.h"
#include "app/base/text_file.h"
#include "app/chain/chain_json.h"
#include "app/chain/cosigned_record.h"
#include "app/chain/finality.h"
#include "app/cli/cli.h"
#include "invoice/event_codec.h"
#include "invoice/order.h"
#include "ledger/entry.h"
#include "ledger/verifier.h"

namespace app::cli {
namespace {

// A temporary folder, removed with what is in it when this goes.
struct TempFolder {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("einvoice-verify-" + RandomHex(8));
  TempFolder() { std::filesystem::create_directory(path); }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

int Failed(const std::string& why) {
  std::cout << "chain verify FAILED: " << why << "\n";
  return 1;
}

// The export's blocks, each applied to a scratch store as a replica would (signature, link
// to the block before, leaves and root); returns the problem, or "" with the store filled
// and each block's root by its tree size.
std::string LoadExport(std::istream& in, ledger::BlockStore& store, const ledger::PublicKeyBytes& key,
                       Poco::JSON::Object::Ptr* chain_line, std::optional<std::string>* checkpoint,
                       std::map<uint64_t, ledger::Hash>* roots, Progress& progress) {
  std::vector<ledger::BlockStore::BlockWithLeaves> page;
  uint64_t line_no = 0, entries = 0, total = 0;
  auto apply = [&]() -> std::string {
    size_t applied = 0;
    ledger::Status s = store.ApplyBlocks(page, &applied);
    if (!s.ok())
      return "block " + std::to_string(page[applied].head.header.height) + " does not extend the chain before it: " +
             s.message();
    page.clear();
    progress.Update(entries, total);
    return "";
  };
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    Poco::JSON::Object::Ptr o;
    try {
      o = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
      return "line " + std::to_string(line_no) + " is not a JSON object";
    }
    const std::string type = o->optValue<std::string>("type", "");
    if (line_no == 1) {
      if (type != "chain") return "line 1 is not the chain line";
      if (o->optValue<std::string>("authority_public_key", "") != ledger::ToHex(key))
        return "the chain line names another authority key than the one given";
      *chain_line = o;
      total = o->optValue<uint64_t>("tree_size", 0);
      continue;
    }
    if (type == "checkpoint") {
      *checkpoint = o->optValue<std::string>("note", "");
      continue;
    }
    if (type != "block") return "line " + std::to_string(line_no) + " is neither a block nor the checkpoint";
    if (checkpoint->has_value()) return "a block follows the checkpoint line (line " + std::to_string(line_no) + ")";
    BlockLine b;
    try {
      b = ParseBlockLine(line);
    } catch (const std::invalid_argument& e) {
      return "line " + std::to_string(line_no) + ": " + e.what();
    }
    (*roots)[b.head.header.tree_size] = b.head.header.tree_root;
    entries += b.leaves.size();
    page.push_back({std::move(b.head), std::move(b.leaves)});
    if (page.size() >= 100)
      if (std::string p = apply(); !p.empty()) return p;
  }
  if (!*chain_line) return "the export is empty";
  if (!page.empty())
    if (std::string p = apply(); !p.empty()) return p;
  return "";
}

// chain verify --export: the export read into a scratch store (checked block by block),
// verified like a node's, then held against its cosigned checkpoint and the witness list.
int VerifyExport(const Args& a, ledger::VerifyOptions opt) {
  std::ifstream in(a.at("export"));
  if (!in) {
    std::cerr << "chain verify: cannot read " << a.at("export") << "\n";
    return 3;
  }
  if (!a.count("witnesses") && a.count("quorum"))
    throw Poco::Util::IncompatibleOptionsException("--quorum goes with --witnesses");
  {  // the chain line's suite, and its key unless one was given to hold it against
    std::string first;
    std::getline(in, first);
    in.seekg(0);
    try {
      auto o = Poco::JSON::Parser().parse(first).extract<Poco::JSON::Object::Ptr>();
      // Exports made before suites existed have no "suite": theirs is ed25519-sha256.
      const std::string name = o->optValue<std::string>("suite", std::string(ledger::SuiteName(ledger::kDefaultSuite)));
      std::optional<ledger::Suite> suite = ledger::ParseSuite(name);
      if (!suite) return Failed("the chain line names an unknown suite '" + name + "'");
      if (opt.authority_key && ledger::SuiteOfKey(*opt.authority_key) != suite)
        return Failed("the export's chain is " + name + ", the --authority-key is " +
                      std::string(ledger::SuiteName(ledger::SuiteOfKey(*opt.authority_key).value_or(ledger::kDefaultSuite))));
      ledger::UseSuite(*suite);
      if (!opt.authority_key) {
        auto hex = ledger::FromHex(o->optValue<std::string>("authority_public_key", ""));
        if (!hex || ledger::SuiteOfKey(*hex) != suite) return Failed("the chain line has no " + name + " authority key");
        opt.authority_key = *hex;
      }
    } catch (const Poco::Exception&) {
      return Failed("line 1 is not a JSON object");
    }
  }
  std::optional<FinalityPolicy> policy;  // the witnesses' keys are of the export's suite
  if (a.count("witnesses"))
    policy = ParseWitnessList(ReadTextFile(a.at("witnesses")), a.count("quorum") ? std::stoi(a.at("quorum")) : -1);
  TempFolder scratch;
  const std::string db = (scratch.path / "export.db").string();
  Poco::JSON::Object::Ptr chain_line;
  std::optional<std::string> checkpoint;
  std::map<uint64_t, ledger::Hash> roots;
  {
    auto store = ledger::BlockStore::Open(db, *opt.authority_key);
    OrThrow(store);
    Progress progress("reading");
    std::string problem = LoadExport(in, **store, *opt.authority_key, &chain_line, &checkpoint, &roots, progress);
    progress.Finish();
    if (!problem.empty()) return Failed(problem);
    auto head = (*store)->Head();
    OrThrow(head);
    if (chain_line->optValue<uint64_t>("height", UINT64_MAX) != head->header.height ||
        chain_line->optValue<uint64_t>("tree_size", UINT64_MAX) != head->header.tree_size)
      return Failed("the chain line's height and tree size are not the last block's");
  }
  Progress progress("verifying");
  opt.progress = [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); };
  auto report = ledger::VerifyChain(db, opt);
  progress.Finish();
  if (!report.ok()) return Failed("the export cannot be read as a chain: " + report.status().ToString());
  if (!report->ok) return Failed("at " + report->bad_item + ": " + report->problem);
  std::cout << "chain OK: " << report->blocks << " blocks (height " << report->height << "), " << report->entries
            << " entries (" << report->entries_held << " held in full)\n";
  if (!checkpoint) {
    if (policy) return Failed("the export ends without a cosigned checkpoint; nothing shows it is not truncated");
    std::cout << "  no cosigned checkpoint in the export: give --witnesses to require one\n";
    return 0;
  }
  FinalityPolicy p = policy.value_or(FinalityPolicy{});
  auto c = CheckCosigned(*checkpoint, *opt.authority_key, p);
  if (!c.ok()) return Failed("the export's checkpoint: " + c.status().message());
  const uint64_t size = c->checkpoint.size, held = report->entries;
  if (size > held)
    return Failed("the cosigned checkpoint covers " + std::to_string(size) + " entries but the export holds " +
                  std::to_string(held) + ": blocks are missing (a truncated or rolled-back chain)");
  auto root = roots.find(size);
  if (root == roots.end()) return Failed("no block of the export ends at the checkpoint's tree size " + std::to_string(size));
  if (root->second != c->checkpoint.root)
    return Failed("the cosigned checkpoint's root at tree size " + std::to_string(size) +
                  " is not the export's: the export shows another history than the witnesses saw");
  std::cout << "  checkpoint " << c->checkpoint.origin << ": " << DescribeFinality(*c, p)
            << (policy ? "" : " (no --witnesses: cosignatures not checked)") << "\n";
  if (held > size) std::cout << "  " << held - size << " entries after it are not cosigned yet\n";
  return 0;
}

int Verify(const Args& a) {
  ledger::VerifyOptions opt;
  if (a.count("authority-key")) {
    auto key = ledger::LoadPublicKeyFile(a.at("authority-key"));
    if (!key.ok()) throw std::runtime_error(key.status().message());
    opt.authority_key = *key;
    UseSuiteOfKey(*key);
  }
  opt.entry_signatures = a.count("entry-signatures") > 0;
  opt.leaf_key_sums = a.count("leaf-key-sums") > 0;
  if (a.count("export")) {
    if (a.count("node-db")) throw Poco::Util::IncompatibleOptionsException("give --node-db or --export, not both");
    return VerifyExport(a, opt);
  }
  if (!a.count("node-db")) throw Poco::Util::MissingOptionException("give --node-db PATH or --export FILE");
  if (a.count("witnesses")) throw Poco::Util::IncompatibleOptionsException("--witnesses goes with --export");
  Progress progress("verifying");
  opt.progress = [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); };
  const std::string& path = a.at("node-db");
  if (!std::filesystem::exists(path)) {
    std::cerr << "chain verify: " << path << " does not exist\n";
    return 3;
  }
  if (!opt.authority_key) UseSuiteOfStore(path);  // with a pinned key, the key's suite (a store of another is refused)
  auto report = ledger::VerifyChain(path, opt);
  progress.Finish();
  if (!report.ok()) {
    std::cout << "chain verify FAILED: the store cannot be read as a chain: " << report.status().ToString() << "\n";
    return 1;
  }
  const ledger::VerifyReport& r = *report;
  if (!r.ok) {
    std::cout << "chain verify FAILED at " << r.bad_item << ": " << r.problem << "\n"
              << "  (blocks 0.." << r.height << " and " << r.entries << " entries before it are good)\n";
    return 1;
  }
  double rate = r.seconds > 0 ? r.entries / r.seconds : 0;
  std::cout << "chain OK: " << r.blocks << " blocks (height " << r.height << "), " << r.entries << " entries ("
            << r.entries_held << " held in full" << (opt.entry_signatures ? ", signatures checked" : "")
            << ") in " << r.seconds << " s, " << static_cast<uint64_t>(rate) << " entries/s\n"
            << "  authority key " << ledger::ToHex(r.authority_key) << "\n";
  return 0;
}

int Export(const Args& a) {
  // The cosigned checkpoint first: read before the head, it never covers more than is exported.
  UseSuiteOfStore(a.at("node-db"));
  std::optional<CosignedRecord::Cosigned> cosigned = CosignedRecord::Read(a.at("node-db"));
  auto store = ledger::BlockStore::OpenExisting(a.at("node-db"));
  OrThrow(store);
  auto head = (*store)->Head();
  OrThrow(head);
  const std::string& out_path = a.at("out");
  std::ofstream file;
  if (out_path != "-") {
    file.open(out_path, std::ios::trunc);
    if (!file) throw std::runtime_error("cannot write " + out_path);
  }
  std::ostream& out = out_path == "-" ? std::cout : file;
  ChainLineJson((*store)->authority_key(), *head)->stringify(out);
  out << '\n';
  Progress progress("exporting");
  auto n = WriteBlocks(**store, 0, 0, out, [&](uint64_t d, uint64_t t) { progress.Update(d, t); });
  progress.Finish();
  OrThrow(n);
  if (cosigned) {  // the last line: what the witnesses cosigned (ledger/README.md, "Export format")
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("type", "checkpoint");
    o.set("tree_size", cosigned->size);
    o.set("note", cosigned->note);
    o.stringify(out);
    out << '\n';
  }
  out.flush();
  if (!out) throw std::runtime_error("writing " + out_path + " failed");
  if (out_path != "-")
    std::cerr << "exported " << *n << " blocks, " << head->header.tree_size << " entries to " << out_path << "\n";
  return 0;
}

std::string SynthInvoiceNo(uint64_t i) {
  std::string seq = std::to_string(i);
  return "26440" + std::string(15 - seq.size(), '0') + seq;  // year 26, region 44, channel 0
}

// Test data: a new store with `entries` synthetic signed entries, sealed `per-block` at a
// time by a fresh authority key written beside it. Never mixes with a real chain.
int Synth(const Args& a) {
  const std::string& path = a.at("node-db");
  if (std::filesystem::exists(path)) {
    std::cerr << "chain synth: " << path << " exists; synth only writes new stores\n";
    return 3;
  }
  uint64_t total = std::stoull(a.at("entries"));
  uint64_t per_block = a.count("per-block") ? std::stoull(a.at("per-block")) : 1000;
  if (per_block == 0) throw std::invalid_argument("--per-block must be at least 1");
  ledger::UseSuite(SuiteArg(a));
  auto authority = ledger::PrivateKey::Generate();
  auto submitter = ledger::PrivateKey::Generate();
  if (!authority.ok() || !submitter.ok()) throw std::runtime_error("key generation failed");
  std::ofstream(path + ".authority.pem") << authority->ToPem();
  auto store = ledger::BlockStore::Open(path, authority->public_key());
  OrThrow(store);
  uint64_t t = 1780000000000;
  OrThrow((*store)->InitGenesis(*authority, t));
  Progress progress("synthesising");
  std::vector<ledger::Bytes> batch;
  // --invoices: the chain of one merchant's real lifecycle, as the authority would seal it:
  // its registration, one apply for every number, then blue invoices of one to three lines.
  const bool invoices = a.count("invoices") > 0;
  const std::string merchant = "91440300MA5DQ3QP4X";
  auto event_entry = [&](const invoice::Event& e, const std::string& who, const ledger::PrivateKey& key) {
    std::string p = invoice::EncodeEvent(e);
    return ledger::Entry::Make(std::string(invoice::EventKind(e)), who, ledger::Bytes(p.begin(), p.end()), key)->Encode();
  };
  if (invoices) {
    if (total < 3) throw std::invalid_argument("--invoices needs at least 3 entries");
    std::ofstream(path + ".merchant.pem") << submitter->ToPem();
    invoice::RegisterEvent reg{{"synth-register", t}, merchant, "Synthetic Coffee", ledger::ToHex(submitter->public_key())};
    invoice::ApplyEvent apply{{"synth-apply", t}, merchant, {26, 44, 0}, total - 2};
    batch = {event_entry(reg, std::string(invoice::kAuthoritySubmitter), *authority), event_entry(apply, merchant, *submitter)};
    auto sealed = (*store)->Seal(batch, ++t, *authority);
    OrThrow(sealed);
  }
  for (uint64_t i = invoices ? 2 : 0; i < total;) {
    batch.clear();
    for (uint64_t k = 0; k < per_block && i < total; ++k, ++i) {
      if (invoices) {
        invoice::Order o;
        o.order_id = "synth-" + std::to_string(i);
        for (uint64_t n = 0; n <= i % 3; ++n) {
          invoice::Line l;
          l.name = n == 0 ? "拿铁 Latte" : n == 1 ? "可颂 Croissant" : "配送 Delivery";
          l.quantity = *invoice::Decimal::Parse(std::to_string(1 + i % 2));
          l.gross_fen = static_cast<invoice::Fen>((1 + i % 2) * (800 + (i * 37 + n * 101) % 4000));
          l.unit_price_fen = {l.gross_fen / static_cast<invoice::Fen>(1 + i % 2), 0};
          l.rate = *invoice::TaxRate::FromPercent(n == 2 ? 9 : 13);
          o.items.push_back(l);
        }
        invoice::Invoice inv = invoice::MakeBlue(o, {"Synthetic Coffee", merchant, ""}, {"顾客 Customer", "", ""},
                                                 SynthInvoiceNo(i - 1), t + i, "synth-pay-" + std::to_string(i));
        batch.push_back(event_entry(invoice::IssueEvent{inv}, merchant, *submitter));
        continue;
      }
      // A payload about the size of an issue event.
      std::string payload = "{\"event\":\"issue\",\"invoice_no\":\"" + SynthInvoiceNo(i) +
                            "\",\"total_fen\":" + std::to_string(100 + i % 100000) + ",\"pad\":\"" +
                            std::string(160, 'x') + "\"}";
      batch.push_back(ledger::Entry::Make("issue", "91440300MA5F000001", ledger::Bytes(payload.begin(), payload.end()),
                                          *submitter)->Encode());
    }
    auto sealed = (*store)->Seal(batch, ++t, *authority);
    OrThrow(sealed);
    progress.Update(i, total);
  }
  progress.Finish();
  std::cout << "wrote " << total << " entries to " << path << " (authority key " << path << ".authority.pem)\n";
  return 0;
}

}  // namespace

void AddChainVerbs(std::vector<Verb>& verbs) {
  Verb verify{"chain verify", "verify every block, entry, tree node and signature of a node's chain",
              "--node-db PATH | --export FILE [--witnesses FILE [--quorum K]] [--authority-key FILE] [--entry-signatures] "
              "[--leaf-key-sums]",
              {}, Verify};
  verify.options.addOption(Optional("node-db", "PATH", "the node's database file"));
  verify.options.addOption(Optional("export", "FILE", "an export (chain export) instead of a node's database"));
  verify.options.addOption(Optional("witnesses", "FILE",
                                    "the network's witnesses' verifier keys, one a line: the export must end with a "
                                    "checkpoint they cosigned that covers it"));
  verify.options.addOption(Optional("quorum", "K", "how many of the witnesses must have cosigned (default: all)"));
  verify.options.addOption(Optional("authority-key", "FILE",
                                    "PEM public key that must have signed every block (default: the key recorded in the store)"));
  verify.options.addOption(Flag("entry-signatures", "also verify every held entry's submitter signature (slower)"));
  verify.options.addOption(Flag("leaf-key-sums",
                                "also add up every key of the index that finds leaves by hash, not just count them"));
  verbs.push_back(std::move(verify));

  Verb exp{"chain export", "write the chain as JSON Lines (ledger/README.md, Export format)", "--node-db PATH --out FILE", {}, Export};
  exp.options.addOption(Required("node-db", "PATH", "the node's database file"));
  exp.options.addOption(Required("out", "FILE", "output file, or - for standard output"));
  verbs.push_back(std::move(exp));

  Verb synth{"chain synth", "write a new store of synthetic signed entries (test and benchmark data)",
             "--node-db PATH --entries N [--per-block K] [--invoices] [--suite SUITE]", {}, Synth};
  synth.options.addOption(SuiteOption("the new chain's suite"));
  synth.options.addOption(Required("node-db", "PATH", "the new store (must not exist)"));
  synth.options.addOption(Required("entries", "N", "how many entries"));
  synth.options.addOption(Optional("per-block", "K", "entries per block (default 1000)"));
  synth.options.addOption(Flag("invoices",
                               "real lifecycle events an authority accepts: a merchant's registration, its apply and "
                               "blue invoices (merchant key in PATH.merchant.pem)"));
  verbs.push_back(std::move(synth));
}

}  // namespace app::cli
