// A real SMTP relay for tests (tests/mail/relay.py, Debian's python3-aiosmtpd) in its own
// process, and what it received: each message's recipient, subject, Message-ID, text, and
// its PDF and XML attachments written out (tests/mail/unpack.py).
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../app/test_util.h"

extern char** environ;

namespace mailtest {

inline const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-aiosmtpd

class Relay {
 public:
  // `tls_and_auth`: {cert, key, user, password}: STARTTLS and AUTH required.
  Relay(uint16_t port, std::string dir, std::vector<std::string> tls_and_auth = {})
      : port_(port), dir_(std::move(dir)), tls_and_auth_(std::move(tls_and_auth)) {
    Start();
  }
  ~Relay() { Stop(); }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }

  void Start() {
    if (pid_ > 0) return;
    std::string script = std::string(EINVOICE_SOURCE_DIR) + "/tests/mail/relay.py";
    std::string log = dir_ + ".log";
    std::filesystem::create_directories(dir_);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> args = {kPython, script, std::to_string(port_), dir_};
    args.insert(args.end(), tls_and_auth_.begin(), tls_and_auth_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kPython.c_str(), &fa, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start the SMTP relay");
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100; ++i) {
      try {
        Poco::Net::StreamSocket s;
        s.connect(Poco::Net::SocketAddress("127.0.0.1", port_), Poco::Timespan(1, 0));
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    throw std::runtime_error("the SMTP relay did not start; see " + log);
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // Messages written so far.
  size_t Count() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      if (e.path().extension() == ".eml") ++n;
    return n;
  }

 private:
  uint16_t port_;
  std::string dir_;
  std::vector<std::string> tls_and_auth_;
  pid_t pid_ = -1;
};

struct Message {
  std::string file, to, subject, message_id, text, pdf, xml;  // pdf, xml: paths of the attachments
  std::vector<std::string> attachments;                       // their file names
};

// Every message in `dir`, unpacked into `dir`/unpacked.
inline std::vector<Message> Unpack(const std::string& dir) {
  auto r = apptest::RunCommand(kPython + " " + EINVOICE_SOURCE_DIR + "/tests/mail/unpack.py " + dir + " 2>/dev/null");
  if (r.exit_code != 0) throw std::runtime_error("unpack.py: " + r.output);
  auto arr = Poco::JSON::Parser().parse(r.output).extract<Poco::JSON::Array::Ptr>();
  std::vector<Message> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(i);
    Message m;
    m.file = o->getValue<std::string>("file");
    m.to = o->getValue<std::string>("to");
    m.subject = o->getValue<std::string>("subject");
    m.message_id = o->getValue<std::string>("message_id");
    m.text = o->getValue<std::string>("text");
    m.pdf = o->optValue<std::string>("pdf", "");
    m.xml = o->optValue<std::string>("xml", "");
    auto names = o->getArray("attachments");
    for (size_t k = 0; k < names->size(); ++k) m.attachments.push_back(names->getElement<std::string>(k));
    out.push_back(m);
  }
  return out;
}

}  // namespace mailtest
