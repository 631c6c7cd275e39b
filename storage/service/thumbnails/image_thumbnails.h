// ImageThumbnails: the libvips part of the thumbnailer, blocking, run on a WorkerPool thread
// (never a reactor). It reads an image from a descriptor the store streams into (never the whole
// file in memory: shrink-on-load, sequential access), checks the header against the limits before
// decoding a pixel, and encodes WebP thumbnails (longest side = each size, EXIF orientation
// applied, metadata stripped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace sluice::service {

// What one image may cost. libvips has no max-pixels option and its thread count is process-wide.
struct ImageLimits {
  uint64_t max_pixels = 100'000'000;          // width x height of the header; above: refused
  Duration timeout = std::chrono::seconds(30);  // reading and decoding one image
  // Formats that must seek (TIFF) are read into memory from a stream; above this they fail.
  uint64_t max_buffered_bytes = 64ull << 20;
};

struct EncodedThumbnail {
  int size = 0;      // the configured longest side
  std::string webp;  // the encoded thumbnail
};

struct DecodedImage {
  int width = 0;  // as displayed: after the EXIF orientation
  int height = 0;
  std::string format;  // the loader's name: jpeg, png, webp, gif, tiff, heif
  std::vector<EncodedThumbnail> thumbnails;
};

// Once per process, before the first make_thumbnails: libvips started, `concurrency` threads per
// image, no operation cache, untrusted loaders blocked and only the image loaders Sluice serves
// allowed (JPEG, PNG, WebP, GIF, TIFF, HEIF/AVIF), `limits.max_buffered_bytes` for streams.
// Later calls change nothing. False (with the reason logged) when libvips cannot start.
bool start_image_library(unsigned concurrency, const ImageLimits& limits);

// Reads the image on `fd` (until its end, or until the decoder has what it needs) and makes one
// WebP thumbnail per entry of `sizes` (never upscaled). Errc::invalid_argument when the content is
// not an image of an allowed format, is damaged or truncated, or exceeds `limits`; the message says
// which. Does not close `fd`.
Result<DecodedImage> make_thumbnails(int fd, const std::vector<int>& sizes, const ImageLimits& limits);

}  // namespace sluice::service
