#include "storage/service/thumbnails/image_thumbnails.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <mutex>

#include <vips/vips.h>

#include "core/log.h"

namespace sluice::service {

namespace {

// The loaders Sluice thumbnails; every other one stays blocked (SVG, PDF, ImageMagick...: large
// attack surface, and formats nobody uploads as photos).
constexpr const char* kAllowedLoaders[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
                                           "VipsForeignLoadNsgif", "VipsForeignLoadTiff", "VipsForeignLoadHeif"};

// libvips' errors are one process-wide buffer: take it (and clear it) as this image's reason.
std::string vips_reason(std::string_view what) {
  std::string out(what);
  char* buf = vips_error_buffer_copy();
  if (buf && *buf) {
    std::string text(buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (text.size() > 300) text.resize(300);
    out += ": " + text;
  }
  g_free(buf);
  return out;
}

Error image_error(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

// Owns one GObject reference.
template <class T>
struct Ref {
  T* p = nullptr;
  ~Ref() {
    if (p) g_object_unref(p);
  }
};

// A decode past its deadline is killed: libvips checks the flag between tiles.
struct EvalDeadline {
  Deadline at;
};

void on_eval(VipsImage* image, VipsProgress*, void* user) {
  auto* d = static_cast<EvalDeadline*>(user);
  if (Clock::now() > d->at) vips_image_set_kill(image, TRUE);
}

// "jpegload_source" -> "jpeg"; the HEIF loader names both HEIC and AVIF "heif".
std::string format_of(VipsImage* header) {
  const char* loader = nullptr;
  if (vips_image_get_string(header, "vips-loader", &loader) != 0 || !loader) return "unknown";
  std::string f(loader);
  if (auto at = f.find("load"); at != std::string::npos) f.resize(at);
  return f;
}

uint32_t le32(const char* p) {
  return static_cast<uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}

void put_le32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// The WebP without its EXIF and XMP chunks (and their VP8X flags). libvips 8.14's webpsave writes
// an EXIF chunk even with `strip` (checked): what the original carried (camera, GPS position)
// must not reach a public thumbnail.
std::string without_metadata_chunks(std::string_view webp) {
  if (webp.size() < 12 || webp.substr(0, 4) != "RIFF" || webp.substr(8, 4) != "WEBP") return std::string(webp);
  std::string out(webp.substr(0, 12));
  size_t at = 12;
  while (at + 8 <= webp.size()) {
    std::string_view fourcc = webp.substr(at, 4);
    size_t len = le32(webp.data() + at + 4);
    size_t whole = 8 + len + (len & 1);
    if (at + whole > webp.size()) return std::string(webp);  // not what webpsave writes: untouched
    if (fourcc != "EXIF" && fourcc != "XMP ") {
      size_t start = out.size();
      out.append(webp.substr(at, whole));
      if (fourcc == "VP8X" && len >= 1) out[start + 8] = static_cast<char>(out[start + 8] & ~0x0c);
    }
    at += whole;
  }
  put_le32(out.data() + 4, static_cast<uint32_t>(out.size() - 8));
  return out;
}

Result<std::string> encode_webp(VipsImage* image) {
  void* buf = nullptr;
  size_t len = 0;
  if (vips_webpsave_buffer(image, &buf, &len, "Q", 80, "strip", TRUE, nullptr) != 0)
    return image_error(vips_reason("cannot encode the thumbnail"));
  std::string out = without_metadata_chunks(std::string_view(static_cast<const char*>(buf), len));
  g_free(buf);
  return out;
}

}  // namespace

bool start_image_library(unsigned concurrency, const ImageLimits& limits) {
  static std::once_flag once;
  static bool started = false;
  std::call_once(once, [&] {
    if (VIPS_INIT("sluice") != 0) {
      log_event(LogLevel::error, "libvips_start_failed", {{"error", vips_reason("vips_init")}});
      return;
    }
    // Process-wide: the thumbnailer's own threads give the parallelism; each image gets this many
    // libvips workers, so the reactors keep their cores.
    vips_concurrency_set(static_cast<int>(std::max(1u, concurrency)));
    // Every image is read once: a cache would only hold sources (and their descriptors) open.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (const char* name : kAllowedLoaders) vips_operation_block_set(name, FALSE);
    vips_pipe_read_limit_set(static_cast<gint64>(limits.max_buffered_bytes));
    started = true;
  });
  return started;
}

Result<DecodedImage> make_thumbnails(int fd, const std::vector<int>& sizes, const ImageLimits& limits) {
  if (sizes.empty()) return Error(Errc::invalid_argument, "no thumbnail sizes configured");
  Deadline deadline = Clock::now() + limits.timeout;
  // A store that stops sending must not hold this thread: reads give up after the timeout.
  timeval tv{};
  tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(limits.timeout).count();
  tv.tv_usec = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  Ref<VipsSource> source{vips_source_new_from_descriptor(fd)};  // reads a dup of fd
  if (!source.p) return image_error(vips_reason("cannot read the content"));
  // The header only: no pixel is decoded before the size is known to be within the limit.
  Ref<VipsImage> header{vips_image_new_from_source(source.p, "", "access", VIPS_ACCESS_SEQUENTIAL, nullptr)};
  if (!header.p) return image_error(vips_reason("not an image Sluice reads"));
  DecodedImage out;
  out.format = format_of(header.p);
  uint64_t w = static_cast<uint64_t>(vips_image_get_width(header.p));
  uint64_t h = static_cast<uint64_t>(vips_image_get_height(header.p));
  if (w * h > limits.max_pixels)
    return image_error("image too large: " + std::to_string(w) + "x" + std::to_string(h) + " is over the limit of " +
                       std::to_string(limits.max_pixels) + " pixels");
  bool swap = vips_image_get_orientation_swap(header.p);
  out.width = static_cast<int>(swap ? h : w);
  out.height = static_cast<int>(swap ? w : h);

  // The largest thumbnail from the stream (shrink-on-load, EXIF rotation), the smaller ones from
  // it: a stream is read once.
  std::vector<int> order(sizes);
  std::sort(order.begin(), order.end(), std::greater<>());
  Ref<VipsImage> lazy;
  // A truncated upload fails instead of making a half-grey preview. Given to the loader itself:
  // thumbnail's own fail_on does not reach it in 8.14 (checked with a cut JPEG).
  if (vips_thumbnail_source(source.p, &lazy.p, order[0], "height", order[0], "size", VIPS_SIZE_DOWN,
                            "option_string", "fail_on=truncated", nullptr) != 0)
    return image_error(vips_reason("cannot decode the image"));
  EvalDeadline ed{deadline};
  vips_image_set_progress(lazy.p, TRUE);
  g_signal_connect(lazy.p, "eval", G_CALLBACK(on_eval), &ed);
  Ref<VipsImage> largest{vips_image_copy_memory(lazy.p)};
  if (!largest.p) {
    if (Clock::now() > deadline) {
      vips_error_clear();
      return image_error("decoding took longer than the limit");
    }
    return image_error(vips_reason("cannot decode the image"));
  }
  for (int size : order) {
    EncodedThumbnail t;
    t.size = size;
    if (size == order[0]) {
      auto webp = encode_webp(largest.p);
      if (!webp.ok()) return std::move(webp).error();
      t.webp = std::move(*webp);
    } else {
      Ref<VipsImage> smaller;
      if (vips_thumbnail_image(largest.p, &smaller.p, size, "height", size, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
                               nullptr) != 0)
        return image_error(vips_reason("cannot resize the image"));
      auto webp = encode_webp(smaller.p);
      if (!webp.ok()) return std::move(webp).error();
      t.webp = std::move(*webp);
    }
    out.thumbnails.push_back(std::move(t));
  }
  return out;
}

}  // namespace sluice::service
