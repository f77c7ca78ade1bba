// VAT filing (contract: POST /v1/filings, GET /v1/filings[/{id}[.xml]]). A taxpayer node
// computes its return from its own sealed invoices (its replica) and files it as a `file`
// event; the authority recomputes it from its chain and refuses it, figure by figure, if it
// differs (tax/README.md). Auditors read any filing at the authority.
#pragma once

#include <string>

#include "app/authority/authority.h"
#include "app/http/site.h"
#include "app/replica/party_view.h"
#include "app/replica/sync_submitter.h"

namespace app {

class FilingRoutes {
 public:
  struct Config {
    std::string name;    // node.name
    std::string tax_id;  // node.tax_id (a taxpayer node's own)
  };
  // At the authority (reads any filing, auditors).
  FilingRoutes(Config config, Site& site, Authority& authority);
  // On a taxpayer node (files and reads its own, merchant tokens).
  FilingRoutes(Config config, Site& site, PartyView& view, SyncSubmitter& submitter);
  void Add(Router& r);

 private:
  const Config config_;
  Site& site_;
  Authority* authority_ = nullptr;  // at the authority
  PartyView* view_ = nullptr;       // on a taxpayer node
  SyncSubmitter* submitter_ = nullptr;
};

}  // namespace app
