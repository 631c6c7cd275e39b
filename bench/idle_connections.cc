// Opens N keep-alive connections to a running server, sends one request on each, keeps them all
// open and idle, and prints the server's RSS (from /proc/PID/status) before and after, per
// connection. Usage: idle_connections PORT SERVER_PID [N]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/tcp_stream.h"

using namespace sluice;

namespace {

long rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

Task<bool> one_request(TcpStream& s) {
  static const std::string req = "GET /health HTTP/1.1\r\nHost: bench\r\n\r\n";
  if (!(co_await s.send_all(std::span<const char>(req.data(), req.size()), deadline_after(std::chrono::seconds(30)))).ok())
    co_return false;
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos || got.find("}") == std::string::npos) {
    auto b = co_await s.recv(deadline_after(std::chrono::seconds(30)));
    if (!b.ok()) co_return false;
    got.append(b->bytes().data(), b->size());
  }
  co_return true;
}

Task<void> run(Reactor& r, uint16_t port, int pid, int n, int& exit_code) {
  auto addr = *SocketAddress::parse("127.0.0.1:" + std::to_string(port));
  long before = rss_kib(pid);
  std::vector<std::unique_ptr<TcpStream>> conns;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    auto c = co_await TcpStream::connect(r, addr, deadline_after(std::chrono::seconds(30)));
    if (!c.ok()) {
      ++failed;
      continue;
    }
    if (!co_await one_request(**c)) ++failed;
    conns.push_back(std::move(*c));
  }
  co_await SleepUntil(r, deadline_after(std::chrono::milliseconds(500)));
  long after = rss_kib(pid);
  std::printf("connections      %zu (failed %d)\n", conns.size(), failed);
  std::printf("server RSS before %ld KiB\n", before);
  std::printf("server RSS after  %ld KiB\n", after);
  std::printf("per idle connection %.2f KiB (target <= 4 KiB)\n",
              conns.empty() ? 0.0 : static_cast<double>(after - before) / static_cast<double>(conns.size()));
  exit_code = failed ? 1 : 0;
  for (auto& c : conns) co_await c->close();
  r.stop();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: idle_connections PORT SERVER_PID [N]\n");
    return 2;
  }
  uint16_t port = static_cast<uint16_t>(std::atoi(argv[1]));
  int pid = std::atoi(argv[2]);
  int n = argc > 3 ? std::atoi(argv[3]) : 10000;
  ReactorOptions opts;
  opts.recv_buffer_count = 1024;
  opts.recv_buffer_size = 4096;
  auto r = Reactor::create(0, opts);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  (*r)->set_peers({r->get()});
  int code = 1;
  spawn(run(**r, port, pid, n, code));
  (*r)->run();
  return code;
}
