// Images for the thumbnail tests, made by libvips itself in the test (no fixtures on disk), and a
// hand-made PNG decompression bomb (a header announcing enormous dimensions, a few bytes long).
#pragma once

#include <arpa/inet.h>
#include <zlib.h>

#include <string>

#include <vips/vips.h>

namespace sluice::testing {

// A w x h RGB image (a gradient, so encoders have something to encode) as `format`: jpeg, png,
// webp, gif, tiff, heic or avif. `orientation` (1..8) is written as the EXIF tag (JPEG only).
// Empty when libvips cannot write the format.
inline std::string make_image(const std::string& format, int w, int h, int orientation = 1) {
  VipsImage* xyz = nullptr;
  VipsImage* rgb = nullptr;
  VipsImage* img = nullptr;
  if (vips_xyz(&xyz, w, h, nullptr) != 0) return "";
  VipsImage* bands[3] = {xyz, xyz, xyz};
  vips_bandjoin(bands, &rgb, 3, nullptr);  // x, y, x
  vips_cast_uchar(rgb, &img, nullptr);
  g_object_unref(xyz);
  g_object_unref(rgb);
  if (orientation != 1) vips_image_set_int(img, VIPS_META_ORIENTATION, orientation);
  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  if (format == "jpeg") rc = vips_jpegsave_buffer(img, &buf, &len, nullptr);
  else if (format == "png") rc = vips_pngsave_buffer(img, &buf, &len, nullptr);
  else if (format == "webp") rc = vips_webpsave_buffer(img, &buf, &len, nullptr);
  else if (format == "gif") rc = vips_gifsave_buffer(img, &buf, &len, nullptr);
  else if (format == "tiff") rc = vips_tiffsave_buffer(img, &buf, &len, nullptr);
  else if (format == "heic")
    rc = vips_heifsave_buffer(img, &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, nullptr);
  else if (format == "avif")
    rc = vips_heifsave_buffer(img, &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, nullptr);
  g_object_unref(img);
  if (rc != 0) {
    vips_error_clear();
    return "";
  }
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

// A valid PNG header announcing w x h pixels with one tiny IDAT: a decompression bomb's shape
// (an attacker's IDAT would inflate to w*h bytes; this one is cut short, the header is enough).
inline std::string png_bomb(uint32_t w, uint32_t h) {
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string c;
    uint32_t len = htonl(static_cast<uint32_t>(data.size()));
    c.append(reinterpret_cast<const char*>(&len), 4);
    c += type + data;
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type.data()), static_cast<uInt>(type.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    uint32_t be = htonl(static_cast<uint32_t>(crc));
    c.append(reinterpret_cast<const char*>(&be), 4);
    return c;
  };
  std::string ihdr;
  uint32_t bw = htonl(w), bh = htonl(h);
  ihdr.append(reinterpret_cast<const char*>(&bw), 4);
  ihdr.append(reinterpret_cast<const char*>(&bh), 4);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit greyscale, deflate, no interlace
  std::string zeros(4096, '\0');
  uLongf zlen = compressBound(zeros.size());
  std::string z(zlen, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(zeros.data()), zeros.size(), 9);
  z.resize(zlen);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
}

// Width and height of an encoded image, and whether it carries EXIF; {-1, -1} when unreadable.
struct ImageFacts {
  int width = -1;
  int height = -1;
  bool exif = false;
  std::string loader;
};

inline ImageFacts facts_of(const std::string& bytes) {
  ImageFacts f;
  VipsImage* img = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (!img) {
    vips_error_clear();
    return f;
  }
  f.width = vips_image_get_width(img);
  f.height = vips_image_get_height(img);
  f.exif = vips_image_get_typeof(img, VIPS_META_EXIF_NAME) != 0;
  const char* loader = nullptr;
  if (vips_image_get_string(img, "vips-loader", &loader) == 0 && loader) f.loader = loader;
  g_object_unref(img);
  return f;
}

}  // namespace sluice::testing
