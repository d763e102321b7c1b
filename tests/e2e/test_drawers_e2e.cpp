// The drawers through the executable: pixel art of flat cells and at most its
// palette's colours, the drawer in the record and the parameters line, a
// bundle whose VQGAN is damaged still drawing pixels, the vector drawer's SVG
// drawn by a real SVG renderer (librsvg's rsvg-convert) like vqclip's own
// picture, and bad drawer options refused naming the flag.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "cli_runner.hpp"
#include "clip_only_bundle.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

std::vector<std::string> drawer_run(const std::filesystem::path& output, const std::filesystem::path& bundle,
                                    std::vector<std::string> drawer_options) {
  std::vector<std::string> args{"-p", "a red circle on a blue background", "--models", bundle.string(), "--steps",
                                "4", "--cutn", "4", "--size", "32", "32", "--threads", "1", "--seed", "3",
                                "-o", output.string()};
  args.insert(args.end(), drawer_options.begin(), drawer_options.end());
  return args;
}

TEST(DrawersEndToEnd, PixelArtWithAPaletteIsFlatCellsOfAtMostItsColours) {
  const auto dir = scratch_dir("e2e-pixel-art");
  const auto result =
      run_cli(drawer_run(dir / "art.png", tiny_bundle(), {"--drawer", "pixel-art", "--pixel-cell", "8", "--palette", "3"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto picture = read_image(dir / "art.png");
  ASSERT_EQ(picture.width, 32);
  std::set<std::tuple<int, int, int>> colours;
  for (int y = 0; y < picture.height; ++y) {
    for (int x = 0; x < picture.width; ++x) {
      const auto* pixel = &picture.pixels[(static_cast<size_t>(y) * picture.width + x) * 3];
      const auto* corner = &picture.pixels[(static_cast<size_t>(y / 8 * 8) * picture.width + x / 8 * 8) * 3];
      ASSERT_TRUE(std::equal(pixel, pixel + 3, corner)) << "pixel " << x << "," << y << " differs from its cell";
      colours.insert({pixel[0], pixel[1], pixel[2]});
    }
  }
  EXPECT_LE(colours.size(), 3u);
  const auto generation = read_picture_record(dir / "art.png").at("generation");
  EXPECT_EQ(generation.at("drawer"), "pixel-art");
  EXPECT_EQ(generation.at("palette"), 3);
  EXPECT_EQ(generation.at("pixel_cell"), 8);
  bool has_parameters = false;
  for (const auto& [keyword, value] : read_png_text(dir / "art.png")) {
    if (keyword != "parameters") continue;
    has_parameters = true;
    EXPECT_NE(value.find(", Drawer: pixel-art"), std::string::npos) << value;
  }
  EXPECT_TRUE(has_parameters);
}

TEST(DrawersEndToEnd, ThePixelsDrawerNeedsNoVqganAndTheVqgansDrawerDoes) {
  const auto bundle = scratch_dir("e2e-damaged-vqgan") / "bundle";
  std::filesystem::copy(tiny_bundle(), bundle, std::filesystem::copy_options::recursive);
  std::ofstream(bundle / "vqgan_decoder.pt", std::ios::trunc) << "damaged";
  const auto pixels = run_cli(drawer_run(bundle.parent_path() / "pixels.png", bundle, {"--drawer", "pixels"}));
  EXPECT_EQ(pixels.exit_code, 0) << pixels.err;
  const auto vqgan = run_cli(drawer_run(bundle.parent_path() / "vqgan.png", bundle, {}));
  EXPECT_EQ(vqgan.exit_code, 3) << vqgan.err;
  EXPECT_NE(vqgan.err.find("vqgan_decoder.pt"), std::string::npos) << vqgan.err;
}

TEST(DrawersEndToEnd, ACLipOnlyBundleRendersWithTheOtherDrawersAndRefusesTheVqgans) {
  const auto bundle = scratch_dir("e2e-clip-only") / "bundle";
  write_clip_only_copy(tiny_bundle(), bundle);
  const auto dir = bundle.parent_path();

  const auto plain = run_cli(drawer_run(dir / "default.png", bundle, {}));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(read_picture_record(dir / "default.png").at("generation").at("drawer"), "pixels")
      << "without a VQGAN the default drawer is pixels";
  const auto vector = run_cli(drawer_run(dir / "vector.png", bundle, {"--drawer", "vector"}));
  EXPECT_EQ(vector.exit_code, 0) << vector.err;
  const auto vqgan = run_cli(drawer_run(dir / "vqgan.png", bundle, {"--drawer", "vqgan"}));
  EXPECT_EQ(vqgan.exit_code, 3) << vqgan.err;
  EXPECT_NE(vqgan.err.find("this bundle has no VQGAN (a CLIP-only bundle): the vqgan drawer needs one"),
            std::string::npos)
      << vqgan.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "vqgan.png"));

  const auto info = run_cli({"info", "--models", bundle.string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("none (a CLIP-only bundle)"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("pixels, pixel-art, vector (default pixels)"), std::string::npos) << info.out;
}

TEST(DrawersEndToEnd, BadDrawerOptionsAreRefusedNamingTheFlag) {
  const auto dir = scratch_dir("e2e-drawer-options");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--drawer", "crayon"}, "--drawer crayon: expected vqgan, pixels, pixel-art or vector"},
      {{"--drawer", "vector", "--shapes", "0"}, "--shapes 0 with --strokes 0: nothing to draw"},
      {{"--drawer", "vector", "--segments", "17"}, "--segments 17: expected 1 to 16"},
      {{"--drawer", "vector", "--vector-softness", "0.5"}, "--vector-softness 0.5: expected 1 to 16 pixels"},
      {{"--drawer", "vector", "--hires", "2"}, "--hires does not apply to the vector drawer"},
      {{"--svg", "x.svg"}, "--svg needs --drawer vector: only the vector drawer draws an SVG"},
      {{"--drawer", "pixel-art", "--palette", "1"}, "--palette 1: expected 2 to 256"},
      {{"--drawer", "pixel-art", "--pixel-grid", "0", "4"}, "--pixel-grid 0: expected 1 to 8192"},
      {{"--drawer", "pixels", "--pixels-space", "wavelet"}, "--pixels-space wavelet: expected fourier or pixel"},
  };
  for (const auto& [options, words] : cases) {
    const auto result = run_cli(drawer_run(dir / "x.png", tiny_bundle(), options));
    EXPECT_EQ(result.exit_code, 2) << words;
    EXPECT_NE(result.err.find(words), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
  }
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DrawersEndToEnd, TheVectorDrawersSvgIsDrawnByLibrsvgLikeItsPicture) {
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "rsvg-convert is not installed (Debian's librsvg2-bin; scripts/install-deps.sh installs it)";
  }
  const auto dir = scratch_dir("e2e-vector-svg");
  auto args = drawer_run(dir / "shapes.svg", tiny_bundle(),
                         {"--drawer", "vector", "--shapes", "16", "--strokes", "4", "--stroke-width", "3"});
  const auto size = std::find(args.begin(), args.end(), "--size");
  size[1] = size[2] = "96";
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(std::filesystem::exists(dir / "shapes.png")) << "-o NAME.svg writes the raster beside it";
  const auto command = "rsvg-convert -o '" + (dir / "librsvg.png").string() + "' '" + (dir / "shapes.svg").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto ours = read_image(dir / "shapes.png");
  const auto theirs = read_image(dir / "librsvg.png");
  ASSERT_EQ(theirs.width, 96);
  ASSERT_EQ(theirs.height, 96);
  double total = 0;
  int largest = 0;
  for (size_t i = 0; i < ours.pixels.size(); ++i) {
    const int difference = std::abs(int{ours.pixels[i]} - int{theirs.pixels[i]});
    total += difference;
    largest = std::max(largest, difference);
  }
  const double mean = total / ours.pixels.size() / 255;
  std::printf("vqclip's raster against librsvg's: mean difference %.5f, largest %d / 255\n", mean, largest);
  EXPECT_LT(mean, 0.01);

  // The record rides in the SVG's <metadata>, XML-escaped.
  const auto svg = file_text(dir / "shapes.svg");
  const auto open = svg.find("<metadata id=\"vqclip\">");
  ASSERT_NE(open, std::string::npos);
  const auto begin = open + std::string("<metadata id=\"vqclip\">").size();
  std::string json = svg.substr(begin, svg.find("</metadata>") - begin);
  for (const auto& [escaped, plain] : {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&amp;", "&"}}) {
    for (size_t at = json.find(escaped); at != std::string::npos; at = json.find(escaped, at + 1)) {
      json.replace(at, std::string(escaped).size(), plain);
    }
  }
  const auto record = nlohmann::json::parse(json);
  EXPECT_EQ(record.at("generation").at("drawer"), "vector");
  EXPECT_EQ(record.at("generation").at("shapes"), 16);
  EXPECT_EQ(record, read_picture_record(dir / "shapes.png"));
}

}  // namespace
}  // namespace vqclip::test
