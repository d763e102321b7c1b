// The drawers through the executable: pixel art of flat cells and at most its
// palette's colours, the drawer in the record and the parameters line, a
// bundle whose VQGAN is damaged still drawing pixels, and bad drawer options
// refused naming the flag.
#include <nlohmann/json.hpp>

#include <set>
#include <tuple>

#include "cli_runner.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

std::filesystem::path tiny_bundle() { return source_dir() / "models" / "tiny-shapes"; }

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

TEST(DrawersEndToEnd, BadDrawerOptionsAreRefusedNamingTheFlag) {
  const auto dir = scratch_dir("e2e-drawer-options");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--drawer", "crayon"}, "--drawer crayon: expected vqgan, pixels or pixel-art"},
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

}  // namespace
}  // namespace vqclip::test
