// The thumbnailer's decoder (make_thumbnails: header check, shrink-on-load, 512 and 128 px WebP)
// on image files, one image at a time on one thread, each fed through a socket as the store's
// stream is. Prints images/s and the process's peak RSS; bench/thumbnails.sh runs vipsthumbnail on
// the same files next to it.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "storage/service/thumbnails/image_thumbnails.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: thumbnail_bench FILE...\n");
    return 2;
  }
  sluice::service::ImageLimits limits;
  if (!sluice::service::start_image_library(1, limits)) return 1;
  std::vector<std::string> files(argv + 1, argv + argc);
  auto t0 = std::chrono::steady_clock::now();
  size_t made = 0;
  for (const auto& path : files) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 1;
    // The store's side: the file in 256 KiB pieces, as a stream (never whole in memory).
    std::thread writer([&] {
      std::ifstream in(path, std::ios::binary);
      std::vector<char> buf(256 * 1024);
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        size_t n = static_cast<size_t>(in.gcount()), off = 0;
        while (off < n) {
          ssize_t w = send(sv[0], buf.data() + off, n - off, MSG_NOSIGNAL);
          if (w <= 0) return;
          off += static_cast<size_t>(w);
        }
      }
      shutdown(sv[0], SHUT_WR);
    });
    auto d = sluice::service::make_thumbnails(sv[1], {128, 512}, limits);
    shutdown(sv[1], SHUT_RDWR);
    writer.join();
    close(sv[0]);
    close(sv[1]);
    if (!d.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), d.error().message.c_str());
      return 1;
    }
    ++made;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("sluice make_thumbnails (512+128 webp): %zu images in %.2f s = %.2f images/s, peak RSS %ld MiB\n", made,
              secs, static_cast<double>(made) / secs, ru.ru_maxrss / 1024);
  return 0;
}
