// The authority's API and public pages: POST /v1/taxpayers and GET /v1/taxpayers/{tax_id}
// (admin), POST /v1/events (entries node-signed by taxpayer nodes), GET /v1/invoices/{no}
// (auditors), the public check of an invoice (GET /r/{no}, GET /v1/check/{no}), an invoice's
// offline proof bundle (GET /v1/proofs/bundle/{no}); and who may read full entries in the
// chain's pages (the disclosure rule).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/authority/authority.h"
#include "app/chain/chain_json.h"
#include "app/chain/node_callers.h"
#include "app/http/site.h"
#include "ledger/block_store.h"

namespace app {

class AuthorityRoutes {
 public:
  // What the network's finality policy says now (app/README.md, "Finality").
  struct Finality {
    int quorum = 0, witnesses = 0;        // k of n
    uint64_t cosigned_size = 0;           // the newest checkpoint with the quorum's cosignatures
    std::vector<std::string> cosigned_by;  // the witnesses whose cosignatures it carries
  };
  struct Config {
    std::string public_url;  // node.public_url: the base of QR codes
    // nullopt without witnesses: every sealed invoice is final, nothing is said of it.
    std::function<std::optional<Finality>()> finality;
    // What GET /checkpoint serves (the cosigned checkpoint with witnesses); throws ApiError 503
    // while there is none. For the proof bundle.
    std::function<std::string()> checkpoint;
  };
  AuthorityRoutes(Config config, Site& site, Authority& authority, ledger::BlockStore& store, NodeCallers& callers);
  void Add(Router& r);
  // Who may see full entries in GET /v1/chain/blocks: the bureau (an auditor or admin
  // token) everything, a registered node (signed request) what concerns it, anyone else nothing.
  RevealFn EntryRevealer(Exchange& ex);

 private:
  // The public check of an invoice by number and QR hash prefix (and amount, "yuan.fen",
  // when given or required): whether it is genuine, with its inclusion proof verified
  // against the signed head.
  struct PublicCheck {
    bool genuine = false;
    std::string reason;  // not genuine: unknown_invoice, hash_mismatch, amount_mismatch
    std::string message;
    invoice::InvoiceState state;
    uint64_t tree_size = 0;
    size_t proof_len = 0;
  };
  PublicCheck CheckPublic(const std::string& no, const std::string& h, const std::optional<std::string>& a,
                          bool amount_required = true);

  const Config config_;
  Site& site_;
  Authority* authority_;
  ledger::BlockStore* store_;
  NodeCallers& callers_;
};

}  // namespace app
