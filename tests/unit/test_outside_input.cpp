// Input from outside the program that is hostile or damaged: picture headers
// that declare gigapixels, compressed chunks that inflate without end, JSON
// nested a million deep, records and manifest lines of the wrong types.
#include <fstream>

#include "batch/batch.hpp"
#include "io/bounded_json.hpp"
#include "png_bytes.hpp"
#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"

namespace vqclip {
namespace {

using test::png_chunk;
using test::png_declaring;

std::filesystem::path write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(OutsideInput, APictureDeclaringGigapixelsIsRefusedFromItsHeader) {
  const auto dir = test::scratch_dir("outside-bomb");
  // stb itself refuses past about 357 megapixels; below that it would decode it all.
  const auto bomb = write(dir / "bomb.png", png_declaring(10000, 10000));
  try {
    read_image(bomb);
    FAIL() << "a 100-megapixel picture was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bomb.png: 10000x10000 pixels, more than the limit of 67108864"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_image(write(dir / "huge.png", png_declaring(40000, 40000))), InputError);
  set_max_image_pixels(16);
  EXPECT_THROW(read_image(write(dir / "five.png", png_declaring(5, 5))), InputError) << "the limit is settable";
  set_max_image_pixels(limits::kDefaultMaxImagePixels);
}

// Found by fuzz_image: stb "decodes" this PNM header to a 3x0 picture.
TEST(OutsideInput, AnEmptyPictureIsRefused) {
  const auto dir = test::scratch_dir("outside-empty-picture");
  // A BMP header declaring 3x0 pixels (fuzz_image first found one as a PPM, a format no longer read).
  std::string bmp = "BM";
  const auto put_le = [&bmp](uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) bmp += static_cast<char>((value >> (8 * i)) & 0xff);
  };
  put_le(54, 4), put_le(0, 4), put_le(54, 4);                    // file size, reserved, pixel offset
  put_le(40, 4), put_le(3, 4), put_le(0, 4), put_le(1, 2), put_le(24, 2);  // info header: 3x0, 24 bits
  for (int i = 0; i < 6; ++i) put_le(0, 4);
  const auto path = write(dir / "empty.bmp", bmp);
  try {
    read_image(path);
    FAIL() << "an empty picture was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("3x0 pixels: an empty picture"), std::string::npos) << e.what();
  }
}

TEST(OutsideInput, ACompressedTextChunkMayNotInflateWithoutEnd) {
  const auto dir = test::scratch_dir("outside-ztxt");
  // 64 MiB of spaces deflate to about 64 KiB.
  const std::string text(64u << 20, ' ');
  const std::string compressed = test::zlib_compress(text);
  const auto png = write(dir / "ztxt.png", png_declaring(1, 1, png_chunk("zTXt", std::string("vqclip\0\0", 8) + compressed)));
  try {
    read_png_text(png);
    FAIL() << "64 MiB were inflated";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("inflates to more than 16 MiB"), std::string::npos) << e.what();
  }
}

TEST(OutsideInput, JsonNestedDeeperThanTheBoundIsRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THROW(parse_bounded_json(deep), JsonTooDeep);
  EXPECT_TRUE(parse_bounded_json_or_discarded(deep).is_discarded());
  const std::string fine = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_NO_THROW(parse_bounded_json(fine));
  EXPECT_THROW(parse_bounded_json("{\"a\": "), nlohmann::json::parse_error);

  const auto dir = test::scratch_dir("outside-deep-record");
  std::ofstream(dir / "p.json") << "{\"generation\": " << deep << "}";
  write(dir / "p.png", png_declaring(1, 1));
  EXPECT_THROW(read_picture_record(dir / "p.png"), InputError) << "a deep sidecar record is refused, not printed";
}

TEST(OutsideInput, RecordsOfTheWrongTypesAreIncompleteNotFatal) {
  for (const char* text : {R"(null)", R"([1, 2])", R"({"status": 5})", R"({"status": "completed", "steps_done": "3"})",
                           R"({"status": "completed", "steps_done": 3, "generation": []})",
                           R"({"status": "completed", "steps_done": 3, "generation": {"steps": "3"}})"}) {
    EXPECT_FALSE(record_is_complete(nlohmann::json::parse(text))) << text;
  }
  EXPECT_TRUE(record_is_complete(nlohmann::json::parse(R"({"status": "completed", "steps_done": 3, "generation": {"steps": 3}})")));
}

TEST(OutsideInput, AManifestLineCutShortStaysAloneAndTheNextOneParses) {
  const auto dir = test::scratch_dir("outside-torn-manifest");
  const auto path = dir / "manifest.jsonl";
  std::ofstream(path, std::ios::binary) << "{\"index\": 0, \"status\": \"done\"}\n{\"index\": 1, \"sta";
  append_manifest_line(path, {{"index", 1}, {"status", "done"}});
  std::ofstream(path, std::ios::app) << "[\"not an object\"]\n7\n";
  const auto lines = read_manifest_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("index"), 0);
  EXPECT_EQ(lines[1].at("index"), 1);
  EXPECT_EQ(lines[1].at("status"), "done");
}

}  // namespace
}  // namespace vqclip
