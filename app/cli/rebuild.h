// einvoice rebuild: a taxpayer node's invoice tables rebuilt from its replica of the chain,
// the source of truth. Run with the node stopped, after it has caught up.
#pragma once

#include <cstdint>
#include <string>

namespace app {

struct RebuildReport {
  uint64_t invoices = 0, orders = 0, payments = 0, refunds = 0;
};

// Rebuilds invoices, orders, payments and refunds from the entries `tax_id` submitted that
// the replica in `db_path` holds, replacing what the node's tables held. Invoice number
// ranges are not rebuilt: a node cannot tell the unused rest of a range from its replica,
// so it applies for a new one (numbers are skipped, never reused). Throws on failure.
RebuildReport RebuildFromReplica(const std::string& db_path, const std::string& tax_id);

}  // namespace app
