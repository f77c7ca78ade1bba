// Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from fixtures/, with the
// project's own encoders: real entries, events, block pages, request bodies, signed
// callbacks and QR pictures, so that every target starts from inputs its parser accepts.
// Run by `make fuzz-seeds`; the output is committed (a few hundred KB), so CI never runs it.
//
//   fuzz_seed_gen SOURCE_DIR OUT_DIR
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <jpeglib.h>
#include <png.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/chain/node_request.h"
#include "app/merchant/payment_sim.h"
#include "app/company/qr_scan.h"
#include "app/authority/authority_bodies.h"
#include "app/company/claim_body.h"
#include "app/filing/filing_body.h"
#include "app/merchant/callback_bodies.h"
#include "invoice/event_codec.h"
#include "invoice/national_xml.h"
#include "invoice/qr.h"
#include "ledger/block.h"
#include "ledger/entry.h"
#include "tests/fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

fs::path g_out;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  fs::create_directories(g_out / target);
  std::ofstream(g_out / target / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
void Write(const std::string& target, const std::string& name, const ledger::Bytes& bytes) {
  Write(target, name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Json(const Object::Ptr& o) {
  std::ostringstream s;
  o->stringify(s);
  return s.str();
}

template <typename T>
T Must(ledger::Result<T> r, const char* what) {
  if (!r.ok()) throw std::runtime_error(std::string(what) + ": " + r.status().ToString());
  return std::move(*r);
}

// The QR picture as a JPEG too (a phone photo is one): the PNG decoded to grey, re-encoded.
std::string ToJpeg(const std::vector<uint8_t>& png_bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png_bytes.data(), png_bytes.size())) throw std::runtime_error("png");
  image.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> gray(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, gray.data(), 0, nullptr)) throw std::runtime_error("png");
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&c, &out, &out_size);
  c.image_width = image.width;
  c.image_height = image.height;
  c.input_components = 1;
  c.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 75, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    unsigned char* row = gray.data() + static_cast<size_t>(c.next_scanline) * image.width;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::string jpeg(reinterpret_cast<char*>(out), out_size);
  jpeg_destroy_compress(&c);
  free(out);
  return jpeg;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seed_gen SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path src = argv[1];
  g_out = argv[2];
  const fs::path fixtures = src / "fixtures";
  auto merchant_key = Must(ledger::PrivateKey::LoadPemFile((fixtures / "keys/merchant.pem").string()), "merchant key");
  auto company_key = Must(ledger::PrivateKey::LoadPemFile((fixtures / "keys/company.pem").string()), "company key");
  auto authority_key = Must(ledger::PrivateKey::LoadPemFile((fixtures / "keys/authority.pem").string()), "authority key");
  const std::string merchant(fuzz::kMerchantTaxId), company = "91110108MA01G7GK9M";
  const uint64_t now = fuzz::kNowMs;

  // Events of every kind: issue from the golden documents, the others built here.
  std::vector<std::pair<std::string, invoice::Event>> events;  // (name, event)
  for (const auto& f : fs::directory_iterator(fixtures / "golden")) {
    std::string name = f.path().filename().string();
    if (name.size() != 24 || f.path().extension() != ".xml") continue;  // the national XML, not .ubl.xml
    std::string xml = Read(f.path());
    Write("national_xml", name, xml);
    auto inv = invoice::DecodeInvoiceXml(xml);
    if (auto* p = std::get_if<invoice::Problem>(&inv)) throw std::runtime_error(name + ": " + p->message);
    events.emplace_back("issue-" + name.substr(0, 20), invoice::IssueEvent{std::get<invoice::Invoice>(inv)});
  }
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  invoice::NumberPrefix prefix = invoice::InvoiceNumber::Parse("26441000000000000001")->prefix;
  events.emplace_back("register", invoice::RegisterEvent{{"register-" + merchant, now}, merchant, "深圳市前海咖啡有限公司",
                                                         ledger::ToHex(merchant_key.public_key())});
  events.emplace_back("apply", invoice::ApplyEvent{{"apply-1", now}, merchant, prefix, 100000});
  events.emplace_back("claim", invoice::ReimburseEvent{{"claim-1", now}, invoice::ReimburseAction::kClaim,
                                                       "26441000000000000001", company, "zhang.san", std::string(64, 'a')});
  events.emplace_back("settle", invoice::ReimburseEvent{{"settle-1", now}, invoice::ReimburseAction::kSettle,
                                                        "26441000000000000001", company, "", ""});
  events.emplace_back("confirm-request", invoice::ConfirmEvent{{"confirm-1", now}, invoice::ConfirmAction::kRequest, "RQ-1",
                                                               "26441000000000000001", 5000, "02"});
  events.emplace_back("confirm-accept", invoice::ConfirmEvent{{"confirm-2", now}, invoice::ConfirmAction::kAccept, "RQ-1",
                                                              "", 0, ""});
  invoice::FileEvent file{{"file-1", now}, "F-" + merchant + "-2026-10-0001", merchant, "2026-10", "", {}};
  file.figures.rates = {{*invoice::TaxRate::Parse("0.13"), 8983, 1167, -885, -115},
                        {*invoice::TaxRate::Parse("0.06"), 1000, 60, 0, 0}};
  file.figures.invoice_count = 3;
  file.figures.red_count = 1;
  file.figures.first_no = "26441000000000000001";
  file.figures.last_no = "26441000000000000004";
  file.figures.set_hash = std::string(64, 'b');
  events.emplace_back("file", file);
  invoice::FileEvent amended = file;
  amended.meta.event_id = "file-2";
  amended.filing_id += "-b";
  amended.amends = file.filing_id;
  events.emplace_back("file-amends", amended);

  // event: a kind byte (its index in event_fuzz.cc's table), then the payload.
  // entry: each event in a signed envelope, as its submitter sends it.
  std::vector<ledger::Bytes> entries;
  for (const auto& [name, ev] : events) {
    std::string payload = invoice::EncodeEvent(ev);
    Write("event", name, std::string(1, static_cast<char>(ev.index())) + payload);
    bool by_company = std::holds_alternative<invoice::ReimburseEvent>(ev) ||
                      (std::holds_alternative<invoice::ConfirmEvent>(ev) && name != "confirm-request");
    bool by_authority = std::holds_alternative<invoice::RegisterEvent>(ev);
    const ledger::PrivateKey& key = by_authority ? authority_key : by_company ? company_key : merchant_key;
    std::string submitter = by_authority ? "authority" : by_company ? company : merchant;
    ledger::Entry e = Must(ledger::Entry::Make(std::string(invoice::EventKind(ev)), submitter,
                                               ledger::Bytes(payload.begin(), payload.end()), key),
                           "entry");
    entries.push_back(e.Encode());
    Write("entry", name, entries.back());
  }

  // block_header and blocks_binary: a genesis block and one sealing three of the entries
  // (the last one not shown, as a replica that does not hold it is sent).
  ledger::BlockHeader genesis{0, {}, now - 60000, 0, {}};
  ledger::BlockHeader block{1, genesis.BlockHash(), now, 3, ledger::Sha256(entries[0])};
  Write("block_header", "genesis", genesis.Encode());
  Write("block_header", "block1", block.Encode());
  auto put = [](std::string* out, uint64_t v, int bytes) {
    for (int s = 8 * (bytes - 1); s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
  };
  std::string page;
  for (const auto& [h, leaves] : {std::pair{genesis, 0}, std::pair{block, 3}}) {
    ledger::SignedHeader signed_header = ledger::SignHeader(h, authority_key);
    ledger::Bytes hb = h.Encode();
    put(&page, hb.size(), 4);
    page.append(hb.begin(), hb.end());
    page.append(signed_header.signature.begin(), signed_header.signature.end());
    put(&page, static_cast<uint64_t>(leaves), 4);
    for (int i = 0; i < leaves; ++i) {
      put(&page, static_cast<uint64_t>(i), 8);
      ledger::Hash leaf = ledger::LeafHash(entries[static_cast<size_t>(i)]);
      page.append(leaf.bytes.begin(), leaf.bytes.end());
      if (i == 2) {
        put(&page, 0xffffffffu, 4);
      } else {
        put(&page, entries[static_cast<size_t>(i)].size(), 4);
        page.append(entries[static_cast<size_t>(i)].begin(), entries[static_cast<size_t>(i)].end());
      }
    }
    Write("blocks_binary", "page-to-" + std::to_string(h.height), page);
  }

  // json_bodies: every route family's body, from fixtures/orders.json and the events above.
  Object::Ptr orders = Poco::JSON::Parser().parse(Read(fixtures / "orders.json")).extract<Object::Ptr>();
  Array::Ptr list = orders->getArray("orders");
  for (size_t i = 0; i < list->size(); ++i) {
    Object::Ptr order = list->getObject(static_cast<unsigned>(i));
    Write("json_bodies", "order-" + std::to_string(i + 1), Json(order));
    if (order->has("buyer")) Write("json_bodies", "buyer-" + std::to_string(i + 1), Json(order->getObject("buyer")));
  }
  Object::Ptr reg = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  reg->set("tax_id", merchant);
  reg->set("name", "深圳市前海咖啡有限公司");
  reg->set("node_public_key", ledger::ToHex(merchant_key.public_key()));
  Write("json_bodies", "register-hex", Json(reg));
  reg->set("node_public_key", merchant_key.PublicPem());
  Write("json_bodies", "register-pem", Json(reg));
  Object::Ptr batch = new Object;
  Array::Ptr b64 = new Array;
  for (size_t i = 0; i < entries.size(); ++i)
    if (ledger::Entry::Decode(entries[i])->submitter == merchant) b64->add(ledger::ToBase64(entries[i]));
  batch->set("entries", b64);
  Write("json_bodies", "events", Json(batch));
  Write("json_bodies", "claim", R"({"invoice_no":"26441000000000000001","h":"0123456789abcdef"})");
  Write("json_bodies", "filing-month", R"({"period":"2026-10"})");
  Write("json_bodies", "filing-quarter-amends", R"({"period":"2026-Q3","amends":"F-91440300MA5DQ3QP4X-2026-Q3-1a2b"})");
  Write("json_bodies", "payments",
        R"({"payments":[{"seller":"91440300MA5DQ3QP4X","payment_id":"4200000001","amount_fen":10150,)"
        R"("paid_at":"2026-10-15T08:00:00Z"},{"seller":"91440300MA5DQ3QP4X","payment_id":"4200000002",)"
        R"("amount_fen":2070,"paid_at":"2026-10-15T08:01:02.345Z"}]})");
  Write("json_bodies", "alarm",
        R"({"reason":"split_view","height":12,"seen":"ab12","signed":"cd34","detail":{"peer":"http://127.0.0.1:8700"}})");

  // wechatpay: notifications as the simulator signs them (byte 0), and their resources'
  // plaintext for the target to seal (byte 1: transaction, byte 3: refund).
  app::payment::WechatSimKeys wk{std::string(fuzz::kWechatMchid), "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                                 Read(fixtures / "keys/wechatpay_platform.pem"), std::string(fuzz::kWechatApiV3Key)};
  const int64_t now_s = static_cast<int64_t>(now / 1000);
  auto pay = app::payment::WechatTransaction(wk, "ORD-0001", "4200000001202611150001", 10150, now_s);
  auto refund = app::payment::WechatRefund(wk, "ORD-0001", "4200000001202611150001", "RF-1", 10150, 2000, now_s);
  Write("wechatpay", "transaction", "\x00" + pay.body);
  Write("wechatpay", "refund", "\x00" + refund.body);
  Write("wechatpay", "transaction-resource",
        "\x01" + app::ParseWechatNotification(pay.body, std::string(fuzz::kWechatApiV3Key)).resource);
  Write("wechatpay", "refund-resource",
        "\x03" + app::ParseWechatNotification(refund.body, std::string(fuzz::kWechatApiV3Key)).resource);

  // generic_callback: X-Signature, a newline, the body.
  const std::string secret(fuzz::kGenericSecret);
  auto gpay = app::payment::GenericNotice(secret, "payment.succeeded", "ORD-0002", "pay_1", 3130, "", 0, now_s);
  auto grefund = app::payment::GenericNotice(secret, "refund.succeeded", "ORD-0002", "pay_1", 3130, "re_1", 1060, now_s);
  Write("generic_callback", "payment", gpay.headers.at("X-Signature") + "\n" + gpay.body);
  Write("generic_callback", "refund", grefund.headers.at("X-Signature") + "\n" + grefund.body);

  // qr_scan: golden QR codes as the node draws them (small modules keep the files small), as
  // PNG and as JPEG; each must read back.
  for (int i : {1, 4}) {
    std::string text = Read(fixtures / "golden" / ("2644100000000000000" + std::to_string(i) + ".qr.txt"));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto png = invoice::QrPng(text, 2);
    if (!png) throw std::runtime_error("QrPng");
    std::string png_text(png->begin(), png->end()), jpeg = ToJpeg(*png);
    for (const auto& [name, bytes] : {std::pair{std::string("png-"), png_text}, std::pair{std::string("jpeg-"), jpeg}}) {
      if (app::ScanQr(bytes) != text) std::cerr << "warning: the " << name << i << " seed does not read back\n";
      Write("qr_scan", name + std::to_string(i), bytes);
    }
  }

  // properties: the demo network's files.
  for (const char* name : {"authority", "company", "merchant"})
    Write("properties", std::string(name) + ".properties", Read(fixtures / "demo" / (std::string(name) + ".properties")));

  // node_request: requests as a registered node signs them (the verifier in node_request_fuzz
  // knows the key of seed {7}); '+' asks the target to sign its own.
  auto node_key = Must(ledger::PrivateKey::FromSeed(std::array<uint8_t, 32>{7}), "node key");
  ledger::SignedHeader head = ledger::SignHeader(block, authority_key);
  app::NodeRequestSigner signer(merchant, node_key, [] { return fuzz::kNowMs; }, [head] { return head; });
  const std::string events_body = Json(batch);
  for (const auto& [name, method, uri, body] :
       {std::tuple{"post-events", "POST", "/v1/events", events_body},
        std::tuple{"get-blocks", "GET", "/v1/chain/blocks?from=1&format=binary", std::string()}}) {
    auto h = signer.Headers(method, uri, body);
    std::string text = std::string(method) + "\n" + uri + "\n" + h["X-Node-Id"] + "\n" + h["X-Node-Time"] + "\n" +
                       h["X-Node-Nonce"] + "\n" + h["X-Node-Signature"] + "\n" + h["X-Node-Head"] + "\n" + body;
    Write("node_request", name, text);
    Write("node_request", std::string(name) + "-self-signed",
          "+" + std::string(method) + "\n" + uri + "\n" + h["X-Node-Id"] + "\n" + h["X-Node-Time"] + "\n" +
              h["X-Node-Nonce"] + "\n\n" + h["X-Node-Head"] + "\n" + body);
  }
  std::cout << "seeds written to " << g_out.string() << "\n";
  return 0;
}
