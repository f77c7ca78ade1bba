// What an authority group member must not forget across a crash (app/group/README.md):
// the epoch it promised to follow (a leader of an older epoch gets no acknowledgement from
// it) and the block proposed to it that is not yet known committed (the one block a new
// leader may have to finish). In node.group.db beside node.db, synchronous=FULL: an
// acknowledgement of a proposal is a promise that it is on disk. Used under the group's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ledger/sqlite_db.h"

namespace app {

// node.group.db beside `node_db`.
std::string GroupStorePath(const std::string& node_db);

class GroupStore {
 public:
  explicit GroupStore(const std::string& path);  // throws if it cannot be opened

  struct Promise {
    int64_t epoch = 0;
    std::string leader;
  };
  Promise Promised();
  void SetPromised(const Promise& p);  // durable before it returns; throws on failure

  struct Pending {
    uint64_t height = 0;
    int64_t epoch = 0;      // the epoch of the leader that proposed it to this member
    std::string block;      // one block in the binary page format, leaves in full
  };
  // Whether this member answers a new leader's prepare ("votes"); nullopt in a new
  // node.group.db, where it is not yet decided (app/group/README.md, "A restored member").
  std::optional<bool> Voter();
  void SetVoter(bool voter);  // durable before it returns

  std::optional<Pending> pending();
  void SetPending(const Pending& p);  // replaces the one held; durable before it returns
  void ClearPending();

 private:
  std::unique_ptr<ledger::sql::Db> db_;
};

}  // namespace app
