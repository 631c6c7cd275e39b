// Test support: a real `nats-server -js` on a free loopback port with its own store directory,
// that a test can kill -9 and start again (same port, same store), and a reader of what a
// JetStream stream holds (every message once, in stream order).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sluice::testing {

inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

class NatsTestServer {
 public:
  explicit NatsTestServer(int max_payload = 1024 * 1024) : port_(free_loopback_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-nats-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
    std::ofstream conf(dir_ + "/nats.conf");
    conf << "listen: 127.0.0.1:" << port_ << "\nmax_payload: " << max_payload << "\njetstream {\n  store_dir: \""
         << dir_ << "/js\"\n}\n";
  }
  ~NatsTestServer() {
    kill9();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NatsTestServer(const NatsTestServer&) = delete;
  NatsTestServer& operator=(const NatsTestServer&) = delete;

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

  // Starts the server and waits (up to 10 s) until it accepts a connection.
  bool start() {
    std::string conf = dir_ + "/nats.conf", log = dir_ + "/nats.log";
    std::vector<std::string> argv{"nats-server", "-c", conf};
    std::vector<char*> args;
    for (auto& s : argv) args.push_back(s.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rc = posix_spawnp(&pid_, "nats-server", &fa, nullptr, args.data(), environ);
    if (rc == ENOENT)  // Debian installs it in /usr/sbin, not on every user's PATH
      rc = posix_spawn(&pid_, "/usr/sbin/nats-server", &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      ADD_FAILURE() << "could not start nats-server (is the Debian package nats-server installed?)";
      pid_ = -1;
      return false;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      natsConnection* nc = nullptr;
      if (natsConnection_ConnectTo(&nc, url().c_str()) == NATS_OK) {
        natsConnection_Destroy(nc);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a process start-up
    }
    ADD_FAILURE() << "nats-server did not accept connections within 10 s (log: " << log << ")";
    return false;
  }

  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

struct StoredEvent {
  uint64_t seq = 0;
  std::string subject;
  std::string msg_id;
  std::string data;
};

// Every message of `stream` in stream order (an ordered consumer from the first message).
inline std::vector<StoredEvent> read_stream(const std::string& url, const std::string& stream) {
  std::vector<StoredEvent> out;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK || natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) {
    ADD_FAILURE() << "cannot connect to " << url;
    if (nc) natsConnection_Destroy(nc);
    return out;
  }
  jsStreamInfo* si = nullptr;
  uint64_t total = 0;
  if (js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr) == NATS_OK) {
    total = si->State.Msgs;
    std::string subj = si->Config->Subjects[0];
    jsStreamInfo_Destroy(si);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    natsSubscription* sub = nullptr;
    if (total > 0 && js_SubscribeSync(&sub, js, subj.c_str(), nullptr, &so, nullptr) == NATS_OK) {
      while (out.size() < total) {
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, sub, 5000) != NATS_OK) break;
        StoredEvent e;
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
          e.seq = meta->Sequence.Stream;
          jsMsgMetaData_Destroy(meta);
        }
        e.subject = natsMsg_GetSubject(m);
        const char* id = nullptr;
        if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) e.msg_id = id;
        e.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
        natsMsg_Destroy(m);
        out.push_back(std::move(e));
      }
      natsSubscription_Destroy(sub);
    }
  } else {
    ADD_FAILURE() << "no stream " << stream;
  }
  EXPECT_EQ(out.size(), total) << "the stream holds " << total << " messages, read " << out.size();
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

}  // namespace sluice::testing
