// Running einvoiced nodes as child processes of the CLI: the demo network (`einvoice demo`)
// and the end-to-end benchmark (`einvoice bench e2e`) both start real nodes this way.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace app::cli {

// The einvoiced binary beside the running einvoice.
std::string NodeBinary();

// Starts `binary --config config`, its stdout and stderr appended to `log`. The child gets
// an empty signal mask (the CLI may block SIGINT/SIGTERM; the nodes must not).
pid_t SpawnNode(const std::string& binary, const std::string& config, const std::string& log);
// The same for any program and its arguments.
pid_t SpawnProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& log);

// Polls GET /healthz until it answers 200; false after `seconds`.
bool WaitHealthy(const std::string& host, uint16_t port, double seconds);

// A loopback TCP port free at the time of asking (the kernel's pick), for a node to listen on.
uint16_t FreeLoopbackPort();

// SIGTERM to every running pid, then waits for each; sets them to -1.
void StopNodes(std::vector<pid_t*> pids);

// One HTTP/1.1 request with a 2 s (or `timeout_s`) timeout; returns the status (0 when the
// node does not answer) and the body in `answer`.
int HttpStatus(const std::string& host, int port, const std::string& method, const std::string& path,
               const std::string& body = "", const std::string& token = "", std::string* answer = nullptr,
               int timeout_s = 2);

}  // namespace app::cli
