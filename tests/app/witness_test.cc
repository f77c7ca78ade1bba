// A taxpayer node's witness (c2sp.org/tlog-witness) over real HTTP: it cosigns the
// authority's checkpoints that extend the one it cosigned last, tells a client its size
// (409), refuses another history (422), checkpoints not signed by the authority (403) and
// malformed requests (400), and remembers what it cosigned across a restart.
#include <gtest/gtest.h>

#include <fstream>

#include "ledger/tlog.h"
#include "three_nodes.h"

namespace app {
namespace e2e {
namespace {

class WitnessTest : public TwoNodes {
 protected:
  std::string CheckpointNote() { return Http(authority_->port(), "GET", "/checkpoint").body; }
  ledger::tlog::Checkpoint Parsed(const std::string& note) {
    return *ledger::tlog::ParseCheckpoint(ledger::tlog::ParseNote(note)->text);
  }
  // The consistency proof old -> new from the authority, as base64 lines.
  std::string Proof(uint64_t first, uint64_t second) {
    if (first == 0 || first == second) return "";
    auto r = Parse(Http(authority_->port(), "GET", "/v1/proofs/consistency?first=" + std::to_string(first) +
                                                     "&second=" + std::to_string(second)).body);
    std::string lines;
    auto proof = r->getArray("proof");
    for (size_t i = 0; i < proof->size(); ++i) lines += ledger::ToBase64(*ledger::FromHex(proof->getElement<std::string>(i))) + "\n";
    return lines;
  }
  apptest::HttpResult Add(uint64_t old, const std::string& proof, const std::string& note) {
    return Http(merchant_->port(), "POST", "/add-checkpoint", "old " + std::to_string(old) + "\n" + proof + "\n" + note);
  }
  ledger::tlog::VerifierKey WitnessKey() {
    auto vkey = Parse(Http(merchant_->port(), "GET", "/healthz").body)->getValue<std::string>("witness_key");
    return *ledger::tlog::ParseVerifierKey(vkey);
  }
};

TEST_F(WitnessTest, CosignsWhatExtendsWhatItCosignedAndRefusesTheRest) {
  PayMany("W-", 0, 3);
  std::string first = CheckpointNote();
  auto c1 = Parsed(first);
  auto r = Add(0, "", first);
  ASSERT_EQ(r.status, 200) << r.body;
  // The answer is a cosignature line of the witness's key over the checkpoint.
  auto cosigned = ledger::tlog::ParseNote(first + r.body);
  ASSERT_TRUE(cosigned.ok()) << r.body;
  auto time = ledger::tlog::CosignatureTime(*cosigned, WitnessKey());
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(time->value_or(0), Now() / 1000);

  PayMany("W-", 3, 5);
  std::string second = CheckpointNote();
  auto c2 = Parsed(second);
  ASSERT_GT(c2.size, c1.size);
  // A client that does not know the witness's size learns it.
  auto size = Add(0, "", second);
  EXPECT_EQ(size.status, 409);
  EXPECT_EQ(size.content_type, "text/x.tlog.size");
  EXPECT_EQ(size.body, std::to_string(c1.size) + "\n");
  EXPECT_EQ(Add(c1.size, "", second).status, 422) << "no proof";
  auto ok = Add(c1.size, Proof(c1.size, c2.size), second);
  ASSERT_EQ(ok.status, 200) << ok.body;

  // Another history under the authority's key: a root the tree never had.
  ledger::tlog::Checkpoint fork = c2;
  fork.size = c2.size + 1;
  fork.root = ledger::Sha256(ledger::AsBytes("another history"));
  std::string forged = ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(fork), c2.origin, authority_->key());
  EXPECT_EQ(Add(c2.size, Proof(c1.size, c2.size), forged).status, 422);
  fork.size = c2.size;  // same size, another root
  EXPECT_EQ(Add(c2.size, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(fork), c2.origin, authority_->key())).status,
            422);
  // An older checkpoint than the one cosigned (a log never shrinks): refused, and kept.
  EXPECT_EQ(Add(c2.size, "", first).status, 422);
  // The authority's key over another log name: refused at once, whatever `old` says.
  ledger::tlog::Checkpoint renamed = c2;
  renamed.origin = "impostor.example/log";
  auto other_log = Add(0, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(renamed), renamed.origin, authority_->key()));
  EXPECT_EQ(other_log.status, 422);
  EXPECT_NE(other_log.body.find("signs the log " + c2.origin), std::string::npos) << other_log.body;
  // Each refusal of a checkpoint the authority signed is evidence, newest first, in its state.
  auto state = Parse(Http(merchant_->port(), "GET", "/witness/state").body);
  EXPECT_EQ(state->getValue<std::string>("name"), "merchant.example");
  ASSERT_EQ(state->getArray("refused")->size(), 5u);  // readers decide what is evidence (Replicator)
  EXPECT_EQ(state->getArray("refused")->getObject(0)->getValue<std::string>("checkpoint").substr(0, 20), "impostor.example/log");
  EXPECT_EQ(state->getArray("cosigned")->size(), 1u);
  EXPECT_EQ(Parsed(state->getArray("cosigned")->getElement<std::string>(0)).size, c2.size);
  // Offered again (a retry, a replay): refused again, kept once.
  EXPECT_EQ(Add(c2.size, "", first).status, 422);
  EXPECT_EQ(Parse(Http(merchant_->port(), "GET", "/witness/state").body)->getArray("refused")->size(), 5u);
  // Many refusals that prove nothing by themselves (bad proofs) do not push out of sight the
  // two that prove equivocation (another root at the size cosigned, another log name).
  for (int k = 2; k < 14; ++k) {
    ledger::tlog::Checkpoint junk = c2;
    junk.size = c2.size + static_cast<uint64_t>(k);
    junk.root = ledger::Sha256(ledger::AsBytes("junk " + std::to_string(k)));
    EXPECT_EQ(Add(c2.size, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(junk), c2.origin, authority_->key())).status,
              422);
  }
  auto shown = Parse(Http(merchant_->port(), "GET", "/witness/state").body)->getArray("refused");
  ASSERT_EQ(shown->size(), 10u);
  EXPECT_EQ(shown->getObject(0)->getValue<std::string>("checkpoint").substr(0, 20), "impostor.example/log");
  EXPECT_EQ(shown->getObject(1)->getValue<std::string>("reason"), "another root at the size cosigned last");
  // Not the authority's key; malformed.
  auto stranger = ledger::PrivateKey::Generate();
  EXPECT_EQ(Add(c2.size, "", ledger::tlog::SignNote(ledger::tlog::FormatCheckpoint(c2), c2.origin, *stranger)).status, 403);
  EXPECT_EQ(Add(c2.size + 5, "", second).status, 400) << "old beyond the checkpoint";
  EXPECT_EQ(Http(merchant_->port(), "POST", "/add-checkpoint", "hello").status, 400);
  EXPECT_EQ(Http(merchant_->port(), "POST", "/add-checkpoint", "old 1\nnot base64\n\n" + second).status, 400);
  EXPECT_EQ(Add(c2.size, "", "not a note").status, 400);

  // What it cosigned survives a restart.
  merchant_->Stop();
  merchant_ = std::make_unique<Node>(m_, [this] { return Now(); });
  merchant_->Start();
  auto after = Add(0, "", second);
  EXPECT_EQ(after.status, 409);
  EXPECT_EQ(after.body, std::to_string(c2.size) + "\n");
  EXPECT_EQ(Add(c2.size, "", second).status, 200) << "the same checkpoint again";
}

// The authority with the merchant's and the company's witnesses, a quorum of 2: after a
// block, GET /checkpoint serves the newest head with both cosignatures.
class Cosigned : public ThreeNodes {
 protected:
  // The tree size of the checkpoint GET /checkpoint serves (0 while none is cosigned).
  uint64_t CosignedSize() {
    auto r = Http(authority_->port(), "GET", "/checkpoint");
    if (r.status != 200) return 0;
    return ledger::tlog::ParseCheckpoint(ledger::tlog::ParseNote(r.body)->text)->size;
  }
};

TEST_F(Cosigned, TheCheckpointCarriesTheQuorumsCosignatures) {
  RestartAuthority([this](NodeConfig& a) {
    a.witnesses = {{WitnessKeyOf(*merchant_), merchant_->BaseUrl()}, {WitnessKeyOf(*company_), company_->BaseUrl()}};
    a.witness_quorum = 2;
  });
  const NodeConfig& a = authority_->config();
  CreateOrder("ORD-COSIGNED", 5000);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-COSIGNED", "PAY-COSIGNED", 5000, NowS())).status, 204);
  merchant_->merchant()->PumpOnce();
  WaitInvoice(BlueOf("ORD-COSIGNED"), "sealed");
  // The invoice's block, or a later one (the merchant may seal more meanwhile: a number application).
  uint64_t size = authority_->store().Head()->header.tree_size;
  std::optional<ledger::tlog::Note> note;
  for (int k = 0; k < 100; ++k) {
    auto r = Http(authority_->port(), "GET", "/checkpoint");
    if (r.status == 200) {
      note = *ledger::tlog::ParseNote(r.body);
      if (ledger::tlog::ParseCheckpoint(note->text)->size >= size && note->signatures.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(note.has_value());
  EXPECT_GE(ledger::tlog::ParseCheckpoint(note->text)->size, size);
  size = ledger::tlog::ParseCheckpoint(note->text)->size;
  ASSERT_EQ(note->signatures.size(), 3u) << "the authority's signature and two cosignatures";
  for (Node* w : {merchant_.get(), company_.get()}) {
    auto t = ledger::tlog::CosignatureTime(*note, *ledger::tlog::ParseVerifierKey(WitnessKeyOf(*w)));
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(t->has_value()) << WitnessKeyOf(*w);
  }
  auto log = ledger::tlog::ParseVerifierKey(
      ledger::tlog::FormatVerifierKey(a.chain_origin, authority_->key().public_key()));
  EXPECT_TRUE(*ledger::tlog::VerifiedBy(*note, *log));
  auto metrics = Http(authority_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("einvoice_cosigned_tree_size " + std::to_string(size) + "\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("einvoice_witness_refusals_total{witness=\"merchant.example\"} 0\n"), std::string::npos) << metrics;
}

// Finality: with a quorum of one witness that cannot be reached, an invoice is sealed and
// genuine but not final, and a claim on it is refused (409 not_final) and changes nothing;
// once the witness cosigns a checkpoint covering it, the same claim is sealed.
TEST_F(Cosigned, AClaimWaitsUntilTheInvoiceIsFinal) {
  const std::string witness = WitnessKeyOf(*merchant_);
  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{witness, "http://127.0.0.1:1"}};  // nobody listens there
    a.witness_quorum = 1;
  });
  auto [no, h] = Sold("ORD-FINAL", "PAY-FINAL", 8800, kCompany);
  const uint64_t height = authority_->store().Head()->header.height;
  auto refused = Claim(employee_, no, h);
  ExpectError(refused, 409, "not_final");
  EXPECT_EQ(Parse(refused.body)->getObject("error")->getValue<std::string>("field"), "invoice_no") << refused.body;
  EXPECT_EQ(authority_->store().Head()->header.height, height) << "nothing sealed";
  EXPECT_EQ(Http(authority_->port(), "GET", "/checkpoint").status, 503);
  // The public check says so, in the API and on the QR code's page.
  auto check = Parse(Http(authority_->port(), "GET", "/v1/check/" + no + "?h=" + h).body)->getObject("finality");
  EXPECT_FALSE(check->getValue<bool>("final"));
  EXPECT_EQ(check->getValue<int>("quorum"), 1);
  EXPECT_EQ(check->getValue<int>("witnesses"), 1);
  auto page = Http(authority_->port(), "GET", "/r/" + no + "?h=" + h + "&a=88.00");
  EXPECT_NE(page.body.find("尚未最终确认"), std::string::npos) << page.body;

  RestartAuthority([&](NodeConfig& a) { a.witnesses = {{witness, merchant_->BaseUrl()}}; });
  for (int k = 0; k < 200 && Http(authority_->port(), "GET", "/checkpoint").status != 200; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  check = Parse(Http(authority_->port(), "GET", "/v1/check/" + no + "?h=" + h).body)->getObject("finality");
  EXPECT_TRUE(check->getValue<bool>("final"));
  ASSERT_EQ(check->getArray("cosigned_by")->size(), 1u);
  EXPECT_EQ(check->getArray("cosigned_by")->getElement<std::string>(0), "merchant.example");
  page = Http(authority_->port(), "GET", "/r/" + no + "?h=" + h + "&a=88.00");
  EXPECT_NE(page.body.find("已最终确认：1 个见证方中 1 个已联署（merchant.example），需 1 个"), std::string::npos) << page.body;
  auto claimed = Claim(employee_, no, h);
  EXPECT_EQ(claimed.status, 201) << claimed.body;
}

// Offline: `chain export` ends with the cosigned checkpoint; `chain verify --export` with the
// witness list passes it, and fails a truncated export (last blocks dropped, chain line
// edited) whether or not the checkpoint line is kept. The checkpoint's signature checks
// with openssl, as the README shows a stranger.
TEST_F(Cosigned, ATruncatedExportFailsAgainstTheCosignedCheckpoint) {
  const std::string witness = WitnessKeyOf(*merchant_);
  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{witness, merchant_->BaseUrl()}};
    a.witness_quorum = 1;
  });
  PayMany("X-", 0, 6);
  const uint64_t size = authority_->store().Head()->header.tree_size;
  for (int k = 0; k < 200 && CosignedSize() < size; ++k)  // (the chain may grow meanwhile)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(CosignedSize(), size);
  const std::string cli = EINVOICE_CLI, out = dir_.File("chain.jsonl"), witnesses = dir_.File("witnesses.txt");
  std::ofstream(witnesses) << "# the network's witnesses\n" << witness << "\n";
  auto exported = apptest::RunCommand(cli + " chain export --node-db " + dir_.File("authority.db") + " --out " + out);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  std::vector<std::string> lines;
  {
    std::ifstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  ASSERT_GE(lines.size(), 5u);
  auto last = Parse(lines.back());
  ASSERT_EQ(last->getValue<std::string>("type"), "checkpoint");
  EXPECT_GE(last->getValue<uint64_t>("tree_size"), size);

  auto ok = apptest::RunCommand(cli + " chain verify --export " + out + " --witnesses " + witnesses);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("cosigned by 1 of 1 (merchant.example), 1 needed"), std::string::npos) << ok.output;

  // Truncated: the last two blocks dropped and the chain line made to match what is left.
  auto write = [&](const std::string& path, bool keep_checkpoint) {
    auto chain = Parse(lines[0]);
    auto new_last = Parse(lines[lines.size() - 4]);
    chain->set("height", new_last->getValue<uint64_t>("height"));
    chain->set("tree_size", new_last->getValue<uint64_t>("tree_size"));
    std::ofstream f(path);
    chain->stringify(f);
    f << "\n";
    for (size_t k = 1; k + 3 < lines.size(); ++k) f << lines[k] << "\n";
    if (keep_checkpoint) f << lines.back() << "\n";
  };
  write(dir_.File("kept.jsonl"), true);
  auto kept = apptest::RunCommand(cli + " chain verify --export " + dir_.File("kept.jsonl") + " --witnesses " + witnesses);
  EXPECT_EQ(kept.exit_code, 1) << kept.output;
  EXPECT_NE(kept.output.find("blocks are missing"), std::string::npos) << kept.output;
  write(dir_.File("dropped.jsonl"), false);
  auto dropped = apptest::RunCommand(cli + " chain verify --export " + dir_.File("dropped.jsonl") + " --witnesses " + witnesses);
  EXPECT_EQ(dropped.exit_code, 1) << dropped.output;
  EXPECT_NE(dropped.output.find("without a cosigned checkpoint"), std::string::npos) << dropped.output;
  // Without the witness list the dropped one passes: the limit the checkpoint removes.
  EXPECT_EQ(apptest::RunCommand(cli + " chain verify --export " + dir_.File("dropped.jsonl")).exit_code, 0);

  // The checkpoint's own signature with openssl, by ledger/README.md's commands (after its jq).
  std::ofstream(dir_.File("authority.pub.pem")) << authority_->key().PublicPem();
  std::ofstream(dir_.File("note"), std::ios::binary) << last->getValue<std::string>("note") << "\n";
  // On an sm2-sm3 network the signature's r || s becomes DER first, and pkeyutl is told SM3 and the ID.
  const bool sm2 = ledger::ActiveSuite() == ledger::Suite::kSm2Sm3;
  const std::string to_der =
      "h=$(od -An -tx1 -v sig.bin | tr -d ' \\n') && printf 'asn1=SEQUENCE:sig\\n[sig]\\nr=INTEGER:0x%s\\ns=INTEGER:0x%s\\n' "
      "$(echo $h | cut -c1-64) $(echo $h | cut -c65-128) > sig.cnf && openssl asn1parse -genconf sig.cnf -out sig.bin -noout && ";
  auto v = apptest::RunCommand("cd " + dir_.path() + " && sed '/^$/,$d' note > text.bin && " +
                               "grep -m1 '^— ' note | awk '{print $3}' | base64 -d | tail -c 64 > sig.bin && " +
                               (sm2 ? to_der : std::string()) +
                               "openssl pkeyutl -verify -pubin -inkey authority.pub.pem -rawin " +
                               (sm2 ? "-digest sm3 -pkeyopt distid:1234567812345678 " : "") + "-in text.bin -sigfile sig.bin");
  EXPECT_NE(v.output.find("Signature Verified Successfully"), std::string::npos) << v.output;
}

// A taxpayer node with the network's policy (the merchant's witness, k = 1) applies blocks
// only up to the newest cosigned checkpoint: while the witness cannot be reached, the
// invoice's block is sealed at the authority and not on the company's node; once cosigned,
// it is, /healthz shows how far the node is final, and the claim goes through.
TEST_F(Cosigned, ATaxpayerNodeHoldsOnlyWhatIsFinal) {
  const std::string witness = WitnessKeyOf(*merchant_);
  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{witness, "http://127.0.0.1:1"}};
    a.witness_quorum = 1;
  });
  company_->Stop();
  company_.reset();
  c_.witnesses = {{witness, merchant_->BaseUrl()}};
  c_.witness_quorum = 1;
  company_ = std::make_unique<Node>(c_, [this] { return Now(); });
  company_->Start();

  CreateOrder("ORD-HELD", 6600);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-HELD", "PAY-HELD", 6600, NowS())).status, 204);
  const std::string no = BlueOf("ORD-HELD");
  auto inv = WaitInvoice(no, "sealed");
  const uint64_t height = inv->getObject("ledger")->getValue<uint64_t>("height");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto held = company_->store().Head();
  EXPECT_LT(held.ok() ? held->header.height : 0, height) << "a block no witness cosigned is not applied";
  EXPECT_EQ(Parse(Http(company_->port(), "GET", "/healthz").body)->getValue<uint64_t>("final_tree_size"), 0u);

  RestartAuthority([&](NodeConfig& a) { a.witnesses = {{witness, merchant_->BaseUrl()}}; });
  WaitLevel(*company_);
  auto health = Parse(Http(company_->port(), "GET", "/healthz").body);
  EXPECT_GE(health->getValue<uint64_t>("final_tree_size"), inv->getObject("ledger")->getValue<uint64_t>("leaf_index") + 1);
  EXPECT_EQ(health->getValue<std::string>("status"), "ok");
  // The scan page says who made it final.
  const std::string h = inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
  auto scan = Http(company_->port(), "GET", "/scan?no=" + no + "&h=" + h);
  EXPECT_NE(scan.body.find("已最终确认：1 个见证方中 1 个已联署（merchant.example），需 1 个"), std::string::npos) << scan.body;
  auto claimed = Claim(employee_, no, h);
  EXPECT_EQ(claimed.status, 201) << claimed.body;
}

// A witness that is not a taxpayer node (another bureau, a court): einvoiced in the witness
// role serves the witness and its state, nothing of the chain; with the merchant's witness it
// makes the quorum of 2.
TEST_F(Cosigned, AWitnessOutsideTheTaxpayersCosignsInTheWitnessRole) {
  NodeConfig w;
  w.role = Role::kWitness;
  w.name = "海淀区人民法院";
  w.listen_port = 0;
  w.db_path = dir_.File("court.db");
  w.key_file = dir_.File("court.pem");
  w.authority_key_file = dir_.File("authority.pub.pem");
  w.witness_name = "court.example/witness";
  Node court(w, [this] { return Now(); });
  court.Start();
  auto health = Parse(Http(court.port(), "GET", "/healthz").body);
  EXPECT_EQ(health->getValue<std::string>("role"), "witness");
  const std::string court_key = health->getValue<std::string>("witness_key");
  EXPECT_EQ(court_key.substr(0, 22), "court.example/witness+");
  EXPECT_EQ(Http(court.port(), "GET", "/v1/chain/head").status, 404) << "a witness holds no chain";
  EXPECT_EQ(Http(court.port(), "GET", "/v1/orders").status, 404);

  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{WitnessKeyOf(*merchant_), merchant_->BaseUrl()}, {court_key, court.BaseUrl()}};
    a.witness_quorum = 2;
  });
  PayMany("CT-", 0, 2);
  const uint64_t size = authority_->store().Head()->header.tree_size;
  for (int k = 0; k < 200 && CosignedSize() < size; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GE(CosignedSize(), size);
  auto note = ledger::tlog::ParseNote(Http(authority_->port(), "GET", "/checkpoint").body);
  ASSERT_TRUE(note.ok());
  auto t = ledger::tlog::CosignatureTime(*note, *ledger::tlog::ParseVerifierKey(court_key));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has_value()) << "the court's cosignature is on the checkpoint";
  auto state = Parse(Http(court.port(), "GET", "/witness/state").body);
  EXPECT_EQ(state->getArray("cosigned")->size(), 1u);
  court.Stop();
}

// The proof bundle a reimbursement desk verifies offline: nothing before a cosigned
// checkpoint covers the invoice (503 before any, 409 not_final before one covering it); then the entry (for the bureau; null for a stranger), the
// inclusion proof and the cosigned checkpoint, which `einvoice proof verify --bundle` checks
// against the witness list, and fails when anything is changed.
TEST_F(Cosigned, AProofBundleIsVerifiedOfflineAgainstTheWitnesses) {
  const std::string witness = WitnessKeyOf(*merchant_);
  RestartAuthority([&](NodeConfig& a) {
    a.witnesses = {{witness, "http://127.0.0.1:1"}};
    a.witness_quorum = 1;
  });
  CreateOrder("ORD-BUNDLE", 4200);
  ASSERT_EQ(Deliver(payment::WechatTransaction(keys_, "ORD-BUNDLE", "PAY-BUNDLE", 4200, NowS())).status, 204);
  const std::string no = BlueOf("ORD-BUNDLE");
  auto inv = WaitInvoice(no, "sealed");
  const std::string h = inv->getObject("ledger")->getValue<std::string>("leaf_hash").substr(0, 16);
  const std::string uri = "/v1/proofs/bundle/" + no + "?h=" + h;
  ExpectError(Http(authority_->port(), "GET", uri), 503, "not_cosigned_yet");

  RestartAuthority([&](NodeConfig& a) { a.witnesses = {{witness, merchant_->BaseUrl()}}; });
  apptest::HttpResult bundle;
  for (int k = 0; k < 200; ++k) {
    bundle = Http(authority_->port(), "GET", uri, "", {{"Authorization", "Bearer " + auditor_}});
    if (bundle.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  auto b = Parse(bundle.body);
  EXPECT_EQ(b->getValue<std::string>("format"), "einvoice-proof-bundle/1");
  EXPECT_FALSE(b->get("entry").isEmpty()) << "the bureau reads the entry";
  auto stranger = Http(authority_->port(), "GET", uri);
  ASSERT_EQ(stranger.status, 200);
  EXPECT_TRUE(Parse(stranger.body)->get("entry").isEmpty()) << "a stranger does not";
  ExpectError(Http(authority_->port(), "GET", "/v1/proofs/bundle/" + no + "?h=0000000000000000"), 422, "not_genuine");
  ExpectError(Http(authority_->port(), "GET", "/v1/proofs/bundle/26449999999999999999?h=" + h), 404, "unknown_invoice");

  std::ofstream(dir_.File("authority.pub.pem")) << authority_->key().PublicPem();
  std::ofstream(dir_.File("witnesses.txt")) << witness << "\n";
  std::ofstream(dir_.File("bundle.json")) << bundle.body;
  std::ofstream(dir_.File("stranger.json")) << stranger.body;
  const std::string cli = std::string(EINVOICE_CLI) + " proof verify --authority-key " + dir_.File("authority.pub.pem") +
                          " --witnesses " + dir_.File("witnesses.txt") + " --bundle ";
  auto ok = apptest::RunCommand(cli + dir_.File("bundle.json") + " --h " + h);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("OK: invoice " + no + " is leaf"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("its entry hashes to the leaf; final: tree size"), std::string::npos) << ok.output;
  EXPECT_EQ(apptest::RunCommand(cli + dir_.File("stranger.json")).exit_code, 0);
  // Changed: another leaf index, an entry of another leaf, a checkpoint without its cosignature.
  auto changed = [&](const std::function<void(Object::Ptr&)>& change) {
    auto x = Parse(bundle.body);
    change(x);
    std::ostringstream out;
    x->stringify(out);
    std::ofstream(dir_.File("changed.json")) << out.str();
    return apptest::RunCommand(cli + dir_.File("changed.json"));
  };
  EXPECT_EQ(changed([](Object::Ptr& x) { x->set("leaf_index", x->getValue<uint64_t>("leaf_index") + 1); }).exit_code, 1);
  EXPECT_EQ(changed([](Object::Ptr& x) { x->set("entry", ledger::ToBase64(ledger::AsBytes("another entry"))); }).exit_code, 1);
  auto uncosigned = changed([](Object::Ptr& x) {
    std::string note = x->getValue<std::string>("checkpoint");
    x->set("checkpoint", note.substr(0, note.rfind("— ")));
  });
  EXPECT_EQ(uncosigned.exit_code, 1) << uncosigned.output;
  EXPECT_NE(uncosigned.output.find("has 0 of the 1 cosignatures"), std::string::npos) << uncosigned.output;
  EXPECT_EQ(apptest::RunCommand(cli + dir_.File("bundle.json") + " --h 0123456789abcdef").exit_code, 1);
}

}  // namespace
}  // namespace e2e
}  // namespace app
