// Image reading, PNG metadata and CLIP preprocessing.
#include <stb_image_write.h>

#include <fstream>

#include "cli_runner.hpp"
#include "png_bytes.hpp"
#include "render/memory_meter.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {
namespace {

RgbImage gradient_image(int width, int height) {
  RgbImage image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / std::max(1, width - 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(1, height - 1));
      p[2] = 77;
    }
  }
  return image;
}

TEST(Png, PixelsAndTextChunksRoundTrip) {
  const auto dir = test::scratch_dir("png-roundtrip");
  const auto image = gradient_image(13, 7);
  PngText text;
  text.text.emplace_back("parameters", "a red circle\nSteps: 3");
  text.text.emplace_back("unicode", "caf\xC3\xA9");  // non-Latin-1-safe: stored as iTXt
  text.itxt.emplace_back("vqclip", R"({"seed": 5, "prompt": "\u00e9t\u00e9 ☀"})");
  write_file_atomically(dir / "a.png", encode_png(image, text));

  const auto back = read_image(dir / "a.png");
  EXPECT_EQ(back.width, 13);
  EXPECT_EQ(back.height, 7);
  EXPECT_EQ(back.pixels, image.pixels);
  const auto chunks = read_png_text(dir / "a.png");
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], std::make_pair(std::string("parameters"), std::string("a red circle\nSteps: 3")));
  EXPECT_EQ(chunks[1].second, "caf\xC3\xA9");
  EXPECT_EQ(chunks[2].second, R"({"seed": 5, "prompt": "\u00e9t\u00e9 ☀"})");
}

using test::png_chunk;
using test::zlib_compress;

TEST(Png, ReadsCompressedTextChunksOfOtherWriters) {
  const auto dir = test::scratch_dir("png-ztxt");
  std::string png = encode_png(gradient_image(4, 4), {});
  const std::string utf8 = "\xE2\x98\x80 sun, caf\xC3\xA9";
  const std::string chunks =
      png_chunk("zTXt", std::string("Comment\0\0", 9) + zlib_compress("made elsewhere, squeezed")) +
      png_chunk("iTXt", std::string("Title\0\1\0fr\0Titre\0", 17) + zlib_compress(utf8)) +
      png_chunk("iTXt", std::string("Plain\0\0\0\0\0", 10) + "not compressed");
  png.insert(png.size() - 12, chunks);  // before IEND
  std::ofstream(dir / "a.png", std::ios::binary) << png;

  const auto texts = read_png_text(dir / "a.png");
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], std::make_pair(std::string("Comment"), std::string("made elsewhere, squeezed")));
  EXPECT_EQ(texts[1], std::make_pair(std::string("Title"), utf8));
  EXPECT_EQ(texts[2], std::make_pair(std::string("Plain"), std::string("not compressed")));
  EXPECT_EQ(read_image(dir / "a.png").width, 4) << "the added chunks keep the PNG valid";
}

TEST(ImageRead, JpegAndBmp) {
  const auto dir = test::scratch_dir("image-formats");
  const auto image = gradient_image(16, 8);
  ASSERT_TRUE(stbi_write_bmp((dir / "a.bmp").c_str(), 16, 8, 3, image.pixels.data()));
  ASSERT_TRUE(stbi_write_jpg((dir / "a.jpg").c_str(), 16, 8, 3, image.pixels.data(), 95));
  EXPECT_EQ(read_image(dir / "a.bmp").pixels, image.pixels);
  const auto jpeg = read_image(dir / "a.jpg");
  EXPECT_EQ(jpeg.width, 16);
  EXPECT_EQ(jpeg.height, 8);
}

TEST(ImageRead, GifFirstFrame) {
  // A 2x1 GIF89a: palette red, blue; pixels red, blue.
  const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 2, 0, 1, 0, 0x80, 0, 0,
                               255, 0, 0, 0, 0, 255,                       // global palette
                               0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,            // image descriptor
                               2, 2, 0x44, 0x0A, 0,                        // LZW min 2, 3-bit codes: clear,0,1,end
                               0x3B};
  const auto dir = test::scratch_dir("image-gif");
  std::ofstream(dir / "a.gif", std::ios::binary).write(reinterpret_cast<const char*>(gif), sizeof gif);
  const auto image = read_image(dir / "a.gif");
  ASSERT_EQ(image.width, 2);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255}));
}

TEST(ImageRead, NotAnImageNamesTheFile) {
  const auto dir = test::scratch_dir("image-bad");
  std::ofstream(dir / "notes.txt") << "hello";
  try {
    read_image(dir / "notes.txt");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos);
  }
  EXPECT_THROW(read_image(dir / "absent.png"), InputError);
  EXPECT_THROW(read_png_text(dir / "notes.txt"), InputError);
}

TEST(ImageRead, AJpegWhoseHuffmanTableOverflowsStbIsRefusedUnread) {
  // fuzz_image's find: Debian's stb_image wrote past its 257-entry table for this one.
  const auto dir = test::scratch_dir("image-jpeg-huffman");
  std::filesystem::copy_file(
      test::source_dir() / "tests/fuzz/corpus/fuzz_image/regression-jpeg-huffman-table-overflow", dir / "bad.jpg");
  try {
    read_image(dir / "bad.jpg");
    FAIL() << "the JPEG was handed to stb";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jpg: cannot read image (corrupt JPEG: a Huffman table of"),
              std::string::npos)
        << e.what();
  }
}

TEST(ImageRead, ATopDownBmpIsHeldToThePixelLimitToo) {
  // fuzz_image's find: a BMP's negative (top-down) height slipped past the header check.
  const auto dir = test::scratch_dir("image-bmp-negative");
  std::filesystem::copy_file(test::source_dir() / "tests/fuzz/corpus/fuzz_image/regression-bmp-negative-height",
                             dir / "tall.bmp");
  set_max_image_pixels(1 << 20);
  EXPECT_THROW(read_image(dir / "tall.bmp"), InputError);
  set_max_image_pixels(limits::kDefaultMaxImagePixels);
  // Within the limit it decodes (3 x 16776456), and CLIP's preprocessing refuses its shape.
  const auto tall = read_image(dir / "tall.bmp");
  EXPECT_EQ(tall.width, 3);
  try {
    clip_preprocess(tall, 224, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f});
    FAIL() << "a 1:5592152 picture was preprocessed";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("its sides differ 64 times or more"), std::string::npos) << e.what();
  }
}

TEST(ImageRead, OnlyTheDocumentedFormatsAreDecoded) {
  const auto dir = test::scratch_dir("image-formats");
  // A 16-bit PNM that Debian's stb_image read past its buffer (fuzz_image found it),
  // and a well-formed 2x1 PPM: both formats vqclip does not read.
  std::filesystem::copy_file(test::source_dir() / "tests/fuzz/corpus/fuzz_image/regression-pnm-16bit-overflow",
                             dir / "a.pnm");
  std::ofstream(dir / "b.ppm", std::ios::binary) << "P6 2 1 255\n" << std::string(6, '\x80');
  for (const char* name : {"a.pnm", "b.ppm"}) {
    try {
      read_image(dir / name);
      FAIL() << name << " was decoded";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(ClipPreprocess, ResizesShorterSideCentreCropsAndNormalises) {
  RgbImage image{40, 20, std::vector<uint8_t>(40 * 20 * 3, 128)};
  const auto input = clip_preprocess(image, 10, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f});
  EXPECT_EQ(input.sizes().vec(), (std::vector<int64_t>{1, 3, 10, 10}));
  EXPECT_NEAR(input.mean().item<float>(), (128.0f / 255 - 0.5f) / 0.25f, 1e-4);

  // Centre crop: a left-to-right ramp keeps its centre part.
  const auto ramp = gradient_image(40, 20);
  const auto cropped = clip_preprocess(ramp, 10, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f});
  const float left = cropped[0][0][5][0].item<float>();
  const float right = cropped[0][0][5][9].item<float>();
  EXPECT_GT(left, 0.2f);
  EXPECT_LT(right, 0.8f);
  EXPECT_LT(left, right);
}

TEST(ShrinkFor, AveragesWholeBlocksInEightBits) {
  // 9x6 picture, target 2x1: k = min(9 / 4, 6 / 2) = 2, so 4x3 of 2x2 blocks (the last column left out).
  RgbImage image{9, 6, std::vector<uint8_t>(9 * 6 * 3)};
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>((i * 37) % 256);
  EXPECT_EQ(shrink_factor(9, 6, 2, 1), 2);
  const auto shrunk = shrink_for(image, 2, 1);
  ASSERT_EQ(shrunk.width, 4);
  ASSERT_EQ(shrunk.height, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) sum += image.pixels[((y * 2 + dy) * 9 + x * 2 + dx) * 3 + c];
        }
        EXPECT_EQ(shrunk.pixels[(y * 4 + x) * 3 + c], (sum + 2) / 4) << x << "," << y << "," << c;
      }
    }
  }
  const auto same = shrink_for(image, 4, 3);  // k would be 1: the picture as it is
  EXPECT_EQ(same.pixels, image.pixels);
}

TEST(ShrinkFor, ALargePictureIsPreprocessedWithoutAFloatCopyAtFullSize) {
  // 3000x2000 (a float copy would be 72 MB), smooth with fine noise on top.
  RgbImage image{3000, 2000, std::vector<uint8_t>(3000u * 2000u * 3)};
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      uint8_t* p = &image.pixels[(static_cast<size_t>(y) * image.width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / image.width);
      p[1] = static_cast<uint8_t>(y * 255 / image.height);
      p[2] = static_cast<uint8_t>(128 + ((x * 7 + y * 13) % 9) - 4);
    }
  }
  const std::array<float, 3> mean{0.5f, 0.5f, 0.5f}, std{0.25f, 0.25f, 0.25f};
  torch::Tensor shrunk_first;
  int64_t peak = 0;
  {
    TensorMemoryMeter meter;
    shrunk_first = clip_preprocess(image, 224, mean, std);
    peak = meter.peak_bytes();
  }
  EXPECT_LT(peak, 3000 * 2000 * 3 * 4 / 4) << "peak tensor bytes " << peak;
  // Against resizing the float copy at full size directly: the same picture to well within a level.
  namespace F = torch::nn::functional;
  const auto direct = F::interpolate(image_to_tensor(image), F::InterpolateFuncOptions()
                                                                 .size(std::vector<int64_t>{224, 336})
                                                                 .mode(torch::kBicubic)
                                                                 .align_corners(false)
                                                                 .antialias(true))
                          .narrow(3, 56, 224)
                          .clamp(0, 1);
  const auto back = shrunk_first * 0.25 + 0.5;
  EXPECT_LT((back - direct).abs().max().item<double>(), 3.0 / 255);
  EXPECT_LT((back - direct).abs().mean().item<double>(), 0.5 / 255);
}

}  // namespace
}  // namespace vqclip
