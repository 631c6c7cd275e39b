// The service on two cores, each with its own HTTP server and port: /metrics served by one core
// sums both cores' counters (gathered by message), and an API key revoked through one core is
// refused at once by the other (the revocation is sent to every core).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <latch>

#include "core/cancellable_op.h"
#include "core/reactor_pool.h"
#include "tests/storage/service_harness.h"

namespace sluice {
namespace {

using testing::json_field;
using testing::ScopedTestDatabase;
using testing::service_env;
using testing::token_for;

struct Reply {
  int status = 0;
  std::string body;
};

// A blocking HTTP/1.1 exchange with Connection: close, from the test thread.
Reply blocking_call(uint16_t port, const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "") {
  Reply out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return out;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (resp.size() > 12) out.status = std::stoi(resp.substr(9, 3));
  size_t head_end = resp.find("\r\n\r\n");
  if (head_end != std::string::npos) out.body = resp.substr(head_end + 4);
  return out;
}

int64_t metric(const std::string& text, const std::string& name) {
  size_t p = text.find("\n" + name + " ");
  return p == std::string::npos ? -1 : std::stoll(text.substr(p + name.size() + 2));
}

struct Core {
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;
};

Task<void> start_core(Reactor& r, Service* svc, Router* router, std::vector<Core>* cores, std::latch* up) {
  auto st = co_await svc->start_core(r);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  auto server = std::make_unique<HttpServer>(r, *router, ServerOptions{});
  EXPECT_TRUE(server->listen(*SocketAddress::parse("127.0.0.1:0")).ok());
  (*cores)[r.core()].port = server->port();
  (*cores)[r.core()].server = std::move(server);
  up->count_down();
}

Task<void> stop_core(Reactor& r, Service* svc, std::vector<Core>* cores) {
  Core& mine = (*cores)[r.core()];
  co_await mine.server->drain(std::chrono::seconds(5));
  mine.server.reset();
  co_await svc->stop_core(r);
  r.stop();
}

// Waits on core 0 for the test thread's signal, then asks every core to stop.
Task<void> watch_stop(Reactor& r, int efd, Service* svc, std::vector<Core>* cores) {
  CancellableOp wait(r);
  (void)co_await wait.poll(efd, POLLIN);
  for (unsigned c = 0; c < r.cores(); ++c)
    r.post_to(c, [svc, cores] { spawn(stop_core(*Reactor::current(), svc, cores)); });
}

Task<void> migrate(Reactor& r, std::string url) {
  PgOptions po;
  po.url = url;
  po.connections = 1;
  PgPool pg(r, po);
  EXPECT_TRUE((co_await pg.start()).ok());
  auto m = co_await apply_migrations(pg);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  co_await pg.close();
}

TEST(OpsMultiCore, MetricsSumAllCoresAndRevocationReachesEveryCore) {
  ASSERT_FALSE(service_env("SLUICE_TEST_PG_URL").empty()) << "SLUICE_TEST_PG_URL is not set (run tools/test)";
  ASSERT_FALSE(service_env("SLUICE_TEST_REDIS_URL").empty()) << "SLUICE_TEST_REDIS_URL is not set (run tools/test)";
  ScopedTestDatabase db("multicore");
  ASSERT_TRUE(db.create());
  std::string url = db.url();
  testing::run_reactor([url](Reactor& r) -> Task<void> { return migrate(r, url); });
  std::string dir = std::filesystem::temp_directory_path() / ("sluice-mc-" + db.name());
  std::filesystem::create_directories(dir);
  ServiceConfig cfg;
  cfg.pg_url = url;
  cfg.redis_url = service_env("SLUICE_TEST_REDIS_URL");
  cfg.local_dir = dir;
  cfg.jwt_secret = testing::kHarnessJwtSecret;
  cfg.slots_per_core = 8;
  cfg.rate_limits = false;  // bursts as one user; rate limits have their own tests
  auto svc = Service::create(cfg, 2);
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  Service* service = svc->get();
  Router router;
  service->add_routes(router);
  std::vector<Core> cores(2);
  std::latch up(2);
  ReactorPool pool(2, ReactorOptions{.sq_entries = 256, .recv_buffer_count = 64, .recv_buffer_size = 16384}, false);
  int stop_fd = ::eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(stop_fd, 0);
  ASSERT_TRUE(pool.start([&](Reactor& r) {
                    spawn(start_core(r, service, &router, &cores, &up));
                    if (r.core() == 0) spawn(watch_stop(r, stop_fd, service, &cores));
                  })
                  .ok());
  up.wait();

  std::string user = db.name() + "-user";
  Reply created = blocking_call(cores[1].port, "POST", "/v1/keys", token_for(user), R"({"name":"multi"})");
  EXPECT_EQ(created.status, 201) << created.body;
  std::string key = json_field(created.body, "key"), id = json_field(created.body, "id");
  // One upload through each core; each core caches the key.
  EXPECT_EQ(blocking_call(cores[0].port, "PUT", "/v1/files/content?name=zero", key, "core zero").status, 201);
  EXPECT_EQ(blocking_call(cores[1].port, "PUT", "/v1/files/content?name=one", key, "core one!!").status, 201);
  // Revoked through core 0; core 1 refuses it on the next request.
  EXPECT_EQ(blocking_call(cores[0].port, "DELETE", "/v1/keys/" + id, token_for(user)).status, 204);
  EXPECT_EQ(blocking_call(cores[1].port, "GET", "/v1/keys", key).status, 401);
  EXPECT_EQ(blocking_call(cores[0].port, "GET", "/v1/keys", key).status, 401);
  // Either core's /metrics sums both.
  for (unsigned c = 0; c < 2; ++c) {
    Reply m = blocking_call(cores[c].port, "GET", "/metrics", "");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(metric(m.body, "sluice_cores"), 2) << m.body;
    EXPECT_EQ(metric(m.body, "sluice_uploads_started_total"), 2);
    EXPECT_EQ(metric(m.body, "sluice_uploads_committed_total"), 2);
    EXPECT_EQ(metric(m.body, "sluice_upload_bytes_total"), 19);
    EXPECT_EQ(metric(m.body, "sluice_upload_slots_capacity"), 16);
    EXPECT_EQ(metric(m.body, "sluice_recv_buffers"), 2 * 64);  // both cores' rings
    EXPECT_EQ(metric(m.body, "sluice_recv_buffer_waiters"), 0);
    EXPECT_EQ(metric(m.body, "sluice_pg_ready_connections"), 4);
    EXPECT_EQ(metric(m.body, "sluice_api_key_rejected_total"), 2);
  }
  Reply conc = blocking_call(cores[1].port, "GET", "/v1/admin/concurrency", token_for("ops", auth::Role::admin));
  EXPECT_EQ(conc.status, 200);
  EXPECT_NE(conc.body.find("{\"core\":1,"), std::string::npos) << conc.body;

  uint64_t one = 1;
  EXPECT_EQ(::write(stop_fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  pool.join();
  ::close(stop_fd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice
