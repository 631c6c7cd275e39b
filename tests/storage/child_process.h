// Test support: child processes (curl, the sluice binary) started with posix_spawn and awaited
// on the reactor through a pidfd, so a test coroutine can wait for one while the same reactor
// keeps serving the HTTP requests that process makes.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/cancellable_op.h"
#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"

extern char** environ;

namespace sluice::testing {

struct ChildProcess {
  pid_t pid = -1;
  int pidfd = -1;
};

// Starts argv[0] (searched on PATH) with the current environment plus `extra_env`
// ("NAME=value", overriding), stdout and stderr appended to the given files ("" = inherit).
inline Result<ChildProcess> spawn_process(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& extra_env = {},
                                          const std::string& stdout_path = "", const std::string& stderr_path = "") {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s(*e);
    bool overridden = false;
    for (const auto& x : extra_env)
      if (s.substr(0, s.find('=') + 1) == x.substr(0, x.find('=') + 1)) overridden = true;
    if (!overridden) env_strings.push_back(std::move(s));
  }
  for (const auto& x : extra_env) env_strings.push_back(x);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!stdout_path.empty())
    posix_spawn_file_actions_addopen(&fa, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (!stderr_path.empty())
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return errno_error("posix_spawn " + argv[0], -rc);
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return errno_error("pidfd_open", -err);
  }
  return ChildProcess{pid, fd};
}

// Waits (on the reactor) for the process to exit; its exit status, 128+signal when killed.
inline Task<int> wait_exit(Reactor& r, ChildProcess c) {
  int fd = c.pidfd;
  CancellableOp exited(r);
  int res = co_await exited.poll(fd, POLLIN);
  (void)res;
  int status = 0;
  waitpid(c.pid, &status, 0);
  close(c.pidfd);
  if (WIFEXITED(status)) co_return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) co_return 128 + WTERMSIG(status);
  co_return -1;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct CurlResult {
  int exit_code = -1;
  int status = 0;
  std::string headers;  // raw response head
  std::string body;
  // A response header's value (first match, case-insensitive name), without surrounding space.
  std::string header(std::string name) const {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::istringstream in(headers);
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string n = line.substr(0, colon);
      for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n != name) continue;
      std::string v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(v.begin());
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
    return {};
  }
};

// `curl -X method --data-binary @body_file url` with the given extra arguments (headers,
// --connect-to...). Files live under `dir`, named by `tag`.
inline Task<CurlResult> run_curl(Reactor& r, std::string method, std::string url, std::string body_file,
                                 std::vector<std::string> extra_args, std::string dir, std::string tag) {
  std::string head = dir + "/" + tag + ".head", body = dir + "/" + tag + ".body", out = dir + "/" + tag + ".out";
  std::vector<std::string> argv{"curl", "-sS", "--max-time", "60", "-X", method,
                                "-o",   body,  "-D",         head, "-w", "%{http_code}"};
  if (!body_file.empty()) {
    argv.push_back("--data-binary");
    argv.push_back("@" + body_file);
    // Not curl's default form-urlencoded type: moto's server chokes on binary "form" bodies.
    argv.push_back("-H");
    argv.push_back("Content-Type: application/octet-stream");
  }
  for (auto& a : extra_args) argv.push_back(a);
  argv.push_back(url);
  CurlResult res;
  auto child = spawn_process(argv, {}, out, dir + "/" + tag + ".err");
  if (!child.ok()) co_return res;
  res.exit_code = co_await wait_exit(r, *child);
  res.status = std::atoi(read_file(out).c_str());
  res.headers = read_file(head);
  res.body = read_file(body);
  co_return res;
}

}  // namespace sluice::testing
