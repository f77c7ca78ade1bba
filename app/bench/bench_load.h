// The load generator of `einvoice bench e2e`: requests built ahead of time, sent over many
// keep-alive HTTP/1.1 connections from one epoll thread, the way wrk drives a server, so
// that the client costs the two cores little of what it measures.
//
// Closed loop (rate 0): each connection sends its next request as soon as the previous one is
// answered. Open loop (rate R): request i is due at start + i/R and goes out on the first
// idle connection; its latency counts from when it was due, so a server that falls behind
// is charged for the wait (no coordinated omission). Not thread-safe; one call at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace app::bench {

struct LoadPlan {
  std::vector<uint16_t> ports;  // connection c goes to 127.0.0.1:ports[c % ports.size()]
  int connections = 64;
  double seconds = 10;
  double rate = 0;  // requests per second offered; 0: closed loop
  // The next request for a connection to `port` (complete bytes, kept alive by the caller
  // until DriveLoad returns) and its id; null when there are no more.
  std::function<const std::string*(size_t port_index, size_t* id)> next;
  // Called for every answered request: its id, HTTP status (0: the connection failed twice)
  // and the wall-clock time (ms) it was sent, or was due in the open loop.
  std::function<void(size_t id, int status, int64_t sent_wall_ms)> answered;
};

struct LoadOutcome {
  std::vector<double> latency_us;  // one per answered request
  uint64_t answered = 0, failed = 0;
  double seconds = 0;    // from the first request to the last answer
  bool ran_out = false;  // `next` had no more requests before the time was up
};

// Runs the plan until `seconds` have passed (then waits for the requests in flight) or the
// requests run out. Throws std::runtime_error if a connection cannot be made at all.
LoadOutcome DriveLoad(const LoadPlan& plan);

}  // namespace app::bench
