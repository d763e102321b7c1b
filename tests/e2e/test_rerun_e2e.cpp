// `vqclip rerun`: a picture rendered again from its record, identical when
// nothing differs, a stopped one up to its step, and --verify's verdict when
// the pixels are not those the record makes.
#include <fstream>

#include "cli_runner.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

std::vector<std::string> render_args(const std::filesystem::path& output, const std::string& seed,
                                     const std::string& steps = "6") {
  return {"-p", "a blue square on a green background", "--models", (source_dir() / "models" / "tiny-shapes").string(),
          "--steps", steps, "--cutn", "4", "--size", "32", "32", "--threads", "1", "--seed", seed, "--cutn-batch", "3",
          "--zero-weight", "0.5", "-o", output.string()};
}

void write_json(const std::filesystem::path& path, const nlohmann::json& json) { std::ofstream(path) << json.dump(); }

TEST(RerunEndToEnd, APictureRenderedAgainFromItsRecordIsIdentical) {
  const auto dir = scratch_dir("e2e-rerun-same");
  ASSERT_EQ(run_cli(render_args(dir / "a.png", "3")).exit_code, 0);
  const auto rerun = run_cli({"rerun", (dir / "a.png").string(), "--verify"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ(rerun.out.rfind("identical: 1024 pixels of " + (dir / "a.png").string(), 0), 0u) << rerun.out;
  ASSERT_TRUE(std::filesystem::exists(dir / "a.rerun.png"));
  EXPECT_EQ(read_image(dir / "a.rerun.png").pixels, read_image(dir / "a.png").pixels);
  const auto record = read_picture_record(dir / "a.rerun.png");
  EXPECT_EQ(record.at("generation"), read_picture_record(dir / "a.png").at("generation"));
  EXPECT_EQ(record.at("generation").at("cutn_batch"), 3);
  EXPECT_EQ(record.at("generation").at("zero_weight"), 0.5);

  const auto onto_itself = run_cli({"rerun", (dir / "a.png").string(), "-o", (dir / "a.png").string()});
  EXPECT_EQ(onto_itself.exit_code, 2);
  EXPECT_NE(onto_itself.err.find("is the picture being rerun"), std::string::npos) << onto_itself.err;
}

TEST(RerunEndToEnd, ChangedPixelsOrSettingsAreReportedWithTheLargestDifference) {
  const auto dir = scratch_dir("e2e-rerun-changed");
  // a.png's record, with b.png's pixels (another seed) under it.
  auto a = render_args(dir / "a.png", "3");
  a.insert(a.end(), {"--metadata", "sidecar"});
  ASSERT_EQ(run_cli(a).exit_code, 0);
  auto b = render_args(dir / "b.png", "4");
  b.insert(b.end(), {"--metadata", "none"});
  ASSERT_EQ(run_cli(b).exit_code, 0);
  std::filesystem::copy_file(dir / "b.png", dir / "a.png", std::filesystem::copy_options::overwrite_existing);

  const auto rerun = run_cli({"rerun", (dir / "a.png").string(), "--verify", "-o", (dir / "again.png").string()});
  EXPECT_EQ(rerun.exit_code, 1) << rerun.err;
  EXPECT_EQ(rerun.out.rfind("differ: ", 0), 0u) << rerun.out;
  EXPECT_NE(rerun.out.find(" of 1024 pixels, largest difference "), std::string::npos) << rerun.out;
  EXPECT_NE(rerun.out.find("the picture was changed after it was made"), std::string::npos) << rerun.out;

  // A record made with another thread count and version: followed unless --threads says otherwise, and noted.
  auto record = nlohmann::json::parse(slurp(sidecar_path(dir / "a.png")));
  record["context"]["threads"] = 2;
  record["version"] = "0.0.1";
  write_json(sidecar_path(dir / "a.png"), record);
  const auto noted = run_cli({"rerun", (dir / "a.png").string(), "--verify", "-o", (dir / "noted.png").string(),
                              "--threads", "1"});
  EXPECT_EQ(noted.exit_code, 1);
  EXPECT_NE(noted.out.find("note: threads: 2 then, 1 now"), std::string::npos) << noted.out;
  EXPECT_NE(noted.out.find("note: vqclip version: \"0.0.1\""), std::string::npos) << noted.out;
  ASSERT_EQ(run_cli({"rerun", (dir / "a.png").string(), "-o", (dir / "adopted.png").string()}).exit_code, 0);
  EXPECT_EQ(read_picture_record(dir / "adopted.png").at("context").at("threads"), 2) << "the record's thread count";
}

TEST(RerunEndToEnd, AStoppedPictureIsRenderedUpToItsStep) {
  const auto dir = scratch_dir("e2e-rerun-stopped");
  auto ten = render_args(dir / "ten.png", "8", "10");
  ten.insert(ten.end(), {"--metadata", "sidecar"});
  ASSERT_EQ(run_cli(ten).exit_code, 0);
  // As if a 20-step render had been stopped after 10 (no schedule depends on the total here).
  auto record = nlohmann::json::parse(slurp(sidecar_path(dir / "ten.png")));
  record["generation"]["steps"] = 20;
  record["status"] = "stopped";
  record["interrupted"] = true;
  write_json(sidecar_path(dir / "ten.png"), record);
  const auto rerun = run_cli({"rerun", (dir / "ten.png").string(), "--verify"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  const auto again = read_picture_record(dir / "ten.rerun.png");
  EXPECT_EQ(again.at("steps_done"), 10);
  EXPECT_EQ(again.at("status"), "stopped");
}

TEST(RerunEndToEnd, APictureWithASecondPassIsRenderedAgainThroughBothPasses) {
  const auto dir = scratch_dir("e2e-rerun-hires");
  auto args = render_args(dir / "big.png", "5", "4");
  args.insert(args.end(), {"--hires", "2", "--hires-steps", "3"});
  const auto first = run_cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("second pass: 64x64, 3 steps"), std::string::npos) << first.err;
  const auto picture = read_image(dir / "big.png");
  EXPECT_EQ(picture.width, 64);
  EXPECT_EQ(picture.height, 64);
  const auto record = read_picture_record(dir / "big.png");
  EXPECT_EQ(record.at("steps_done"), 7);
  ASSERT_EQ(record.at("passes").size(), 2u);
  EXPECT_EQ(record["passes"][1].at("width"), 64);

  const auto rerun = run_cli({"rerun", (dir / "big.png").string(), "--verify"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ(rerun.out.rfind("identical: 4096 pixels", 0), 0u) << rerun.out;
}

TEST(RerunEndToEnd, ARecordWithAWrongTypedFieldIsAnInputErrorNamingIt) {
  const auto dir = scratch_dir("e2e-rerun-bad");
  auto args = render_args(dir / "a.png", "3");
  args.insert(args.end(), {"--metadata", "sidecar"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  auto record = nlohmann::json::parse(slurp(sidecar_path(dir / "a.png")));
  record["generation"]["cutn"] = "four";
  write_json(sidecar_path(dir / "a.png"), record);
  const auto rerun = run_cli({"rerun", (dir / "a.png").string()});
  EXPECT_EQ(rerun.exit_code, 4);
  EXPECT_NE(rerun.err.find("generation field 'cutn' is not an integer"), std::string::npos) << rerun.err;
  record["generation"]["cutn"] = 0;
  write_json(sidecar_path(dir / "a.png"), record);
  const auto invalid = run_cli({"rerun", (dir / "a.png").string()});
  EXPECT_EQ(invalid.exit_code, 4) << invalid.err;
  EXPECT_NE(invalid.err.find("the record's generation is not valid: cutn 0: expected 1 to"), std::string::npos)
      << invalid.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.rerun.png"));
}

}  // namespace
}  // namespace vqclip::test
