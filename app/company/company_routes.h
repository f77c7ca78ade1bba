// The company's parts of a taxpayer node: its API (POST /v1/reimbursements, settle and
// release by finance, red-letter confirmations) and its pages (/scan: read an invoice's QR
// code from a photo, check it, claim it; /claims: an employee's claims, finance's decisions).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/company/company.h"
#include "app/company/qr_scan.h"
#include "app/http/site.h"
#include "app/replica/party_view.h"

namespace app {

class CompanyRoutes {
 public:
  struct Config {
    std::string name;                  // node.name
    std::string tax_id;                // node.tax_id: the company
    std::string authority_public_url;  // authority.public_url: what a scanned code must open
    // With a finality policy: the newest cosigned checkpoint this node's replica verified
    // (its tree size and the witnesses that cosigned it), k and n. Unset: nothing is said.
    struct Finality {
      uint64_t size = 0;
      std::vector<std::string> cosigned_by;
      int quorum = 0, witnesses = 0;
    };
    std::function<std::optional<Finality>()> finality;
  };
  CompanyRoutes(Config config, Site& site, Company& company, PartyView& view, QrDecoder& qr_decoder);
  void AddApi(Router& r);    // company_routes.cc
  void AddPages(Router& r);  // company_pages.cc

 private:
  // Confirmation requests `tax_id` sent (as seller) or must answer (as buyer), newest first.
  std::vector<std::pair<std::string, invoice::ConfirmationState>> ConfirmationsOf(const std::string& tax_id);

  const Config config_;
  Site& site_;
  Company* company_;
  PartyView* view_;
  QrDecoder* qr_decoder_;
};

}  // namespace app
