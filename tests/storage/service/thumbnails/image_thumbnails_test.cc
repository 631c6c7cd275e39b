// The libvips part of the thumbnailer: every format Sluice reads, EXIF rotation, metadata
// stripped, no upscaling, and the refusals (decompression bomb, pixel limit, truncated JPEG, text
// with an image name, loaders that are blocked). Images are made by libvips in the test and fed
// through a socket, as the store's stream is.
#include "storage/service/thumbnails/image_thumbnails.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/storage/service/thumbnails/test_images.h"

namespace sluice::service {
namespace {

using sluice::testing::facts_of;
using sluice::testing::make_image;
using sluice::testing::png_bomb;

class ImageThumbnails : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(start_image_library(1, ImageLimits{})); }
};

// `bytes` through a socket (a writer thread, as the store's stream), into make_thumbnails.
Result<DecodedImage> thumbnails_of(const std::string& bytes, std::vector<int> sizes = {128, 512},
                                   ImageLimits limits = {}) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::thread writer([&] {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(sv[0], bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;  // the decoder stopped reading
      off += static_cast<size_t>(n);
    }
    shutdown(sv[0], SHUT_WR);
  });
  auto out = make_thumbnails(sv[1], sizes, limits);
  shutdown(sv[1], SHUT_RDWR);
  writer.join();
  close(sv[0]);
  close(sv[1]);
  return out;
}

const EncodedThumbnail* of_size(const DecodedImage& d, int size) {
  for (const auto& t : d.thumbnails)
    if (t.size == size) return &t;
  return nullptr;
}

TEST_F(ImageThumbnails, EveryFormatGivesWebpThumbnailsOfTheLongestSide) {
  struct Case {
    std::string format;
    std::string loader;
  };
  for (const Case& c : {Case{"jpeg", "jpeg"}, Case{"png", "png"}, Case{"webp", "webp"}, Case{"gif", "gif"},
                        Case{"tiff", "tiff"}, Case{"heic", "heif"}, Case{"avif", "heif"}}) {
    SCOPED_TRACE(c.format);
    std::string bytes = make_image(c.format, 600, 400);
    ASSERT_FALSE(bytes.empty()) << "libvips cannot write " << c.format << " here";
    auto d = thumbnails_of(bytes);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->width, 600);
    EXPECT_EQ(d->height, 400);
    EXPECT_EQ(d->format, c.loader);
    ASSERT_EQ(d->thumbnails.size(), 2u);
    for (auto [size, h] : {std::pair{512, 341}, std::pair{128, 85}}) {
      const EncodedThumbnail* t = of_size(*d, size);
      ASSERT_NE(t, nullptr);
      auto f = facts_of(t->webp);
      EXPECT_EQ(f.loader, "webpload_buffer");
      EXPECT_EQ(f.width, size);
      EXPECT_NEAR(f.height, h, 1);
    }
  }
}

TEST_F(ImageThumbnails, ExifOrientationIsAppliedAndStripped) {
  // Stored landscape, tagged "rotate 90° clockwise to display": shown (and thumbnailed) portrait.
  std::string bytes = make_image("jpeg", 400, 200, 6);
  ASSERT_FALSE(bytes.empty());
  ASSERT_TRUE(facts_of(bytes).exif);
  auto d = thumbnails_of(bytes);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->width, 200);
  EXPECT_EQ(d->height, 400);
  auto f = facts_of(of_size(*d, 128)->webp);
  EXPECT_EQ(f.width, 64);
  EXPECT_EQ(f.height, 128);
  EXPECT_FALSE(f.exif);
}

TEST_F(ImageThumbnails, SmallImagesAreNotUpscaled) {
  auto d = thumbnails_of(make_image("png", 60, 30));
  ASSERT_TRUE(d.ok()) << d.error().message;
  auto f = facts_of(of_size(*d, 512)->webp);
  EXPECT_EQ(f.width, 60);
  EXPECT_EQ(f.height, 30);
}

TEST_F(ImageThumbnails, PngBombIsRefusedFromItsHeader) {
  std::string bomb = png_bomb(30000, 30000);  // 900 megapixels announced in a few hundred bytes
  ASSERT_LT(bomb.size(), 1000u);
  auto d = thumbnails_of(bomb);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::invalid_argument);
  EXPECT_NE(d.error().message.find("image too large: 30000x30000"), std::string::npos) << d.error().message;
}

TEST_F(ImageThumbnails, PixelLimitIsConfigurable) {
  ImageLimits small;
  small.max_pixels = 600 * 400 - 1;
  auto d = thumbnails_of(make_image("jpeg", 600, 400), {128}, small);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("image too large"), std::string::npos) << d.error().message;
  small.max_pixels = 600 * 400;
  EXPECT_TRUE(thumbnails_of(make_image("jpeg", 600, 400), {128}, small).ok());
}

TEST_F(ImageThumbnails, TruncatedJpegFails) {
  std::string bytes = make_image("jpeg", 800, 600);
  bytes.resize(bytes.size() / 2);
  auto d = thumbnails_of(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::invalid_argument);
}

TEST_F(ImageThumbnails, OtherContentFails) {
  auto text = thumbnails_of("this is a text file someone named holiday.jpg\n");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("not an image"), std::string::npos) << text.error().message;
  EXPECT_FALSE(thumbnails_of("").ok());
}

TEST_F(ImageThumbnails, UntrustedLoadersAreBlocked) {
  // libvips reads both formats, but not in Sluice: their loaders are blocked.
  auto ppm = thumbnails_of("P3\n2 1\n255\n255 0 0 0 255 0\n");
  ASSERT_FALSE(ppm.ok());
  auto svg = thumbnails_of(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><rect width=\"100\" "
      "height=\"100\"/></svg>");
  ASSERT_FALSE(svg.ok());
}

}  // namespace
}  // namespace sluice::service
