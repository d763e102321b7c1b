// Hostile or damaged input through the executable: every case ends with the
// documented exit code and one line naming the culprit.
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace vqclip::test {
namespace {

std::filesystem::path tiny() { return source_dir() / "models" / "tiny-shapes"; }

void expect_one_line(const CliResult& result, int code, const std::string& part) {
  EXPECT_EQ(result.exit_code, code) << result.err;
  EXPECT_NE(result.err.find(part), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST(OutsideInputCli, SymbolicLinkLoopsAreBundleErrorsOrSkippedFiles) {
  const auto dir = scratch_dir("cli-link-loop");
  std::filesystem::create_symlink(dir / "loop", dir / "loop");
  expect_one_line(run_cli({"info", "--models", (dir / "loop").string()}), 3, "loop/vqclip.json");

  // A bundle whose module file is a loop.
  const auto bundle = dir / "bundle";
  std::filesystem::copy(tiny(), bundle, std::filesystem::copy_options::recursive);
  std::filesystem::remove(bundle / "clip_text.pt");
  std::filesystem::create_symlink(bundle / "clip_text.pt", bundle / "clip_text.pt");
  expect_one_line(run_cli({"info", "--models", bundle.string()}), 3, "clip_text.pt");

  // In a searched folder: skipped with a warning, the search goes on.
  const auto pictures = dir / "pictures";
  std::filesystem::create_directories(pictures);
  ASSERT_EQ(run_cli({"-p", "a red circle", "--steps", "1", "--cutn", "1", "-o", (pictures / "a.png").string()})
                .exit_code,
            0);
  std::filesystem::create_symlink(pictures / "b.png", pictures / "b.png");
  const auto search = run_cli({"search", pictures.string(), "-p", "a circle", "--json"});
  EXPECT_EQ(search.exit_code, 0) << search.err;
  EXPECT_NE(search.err.find("skipped: " + (pictures / "b.png").string()), std::string::npos) << search.err;
  EXPECT_NE(search.out.find("\"skipped\": 1"), std::string::npos) << search.out;
}

TEST(OutsideInputCli, AnOldIndexWithFieldsOfTheWrongTypesIsMigratedWhereItCanBe) {
  const auto dir = scratch_dir("cli-bad-index");
  ASSERT_EQ(run_cli({"-p", "a red circle", "--steps", "1", "--cutn", "1", "-o", (dir / "a.png").string()}).exit_code, 0);
  const nlohmann::json old_index{{"format", "vqclip-search-index"},
                                 {"version", 1},
                                 {"bundle", "whatever"},
                                 {"files", {{"a.png", {{"size", "big"}, {"mtime_ns", 1}, {"embedding", 7}}}}}};
  std::ofstream(dir / ".vqclip-index.json") << old_index.dump();
  const auto entry = run_cli({"search", dir.string(), "-p", "x", "--json"});
  EXPECT_EQ(entry.exit_code, 0) << entry.err;
  EXPECT_NE(entry.out.find("\"embedded\": 1"), std::string::npos) << "the entry is embedded again: " << entry.out;
  EXPECT_FALSE(std::filesystem::exists(dir / ".vqclip-index.json")) << "the old index is removed";
  std::ofstream(dir / ".vqclip-index.json") << R"({"format": 7, "version": "1", "files": []})";
  EXPECT_EQ(run_cli({"search", dir.string(), "-p", "x"}).exit_code, 0);
  // A file in the index's place that is not a database: exit 4 naming it.
  std::filesystem::remove(dir / ".vqclip-index.sqlite");
  std::ofstream(dir / ".vqclip-index.sqlite") << std::string(4096, 'x');
  expect_one_line(run_cli({"search", dir.string(), "-p", "x"}), 4, (dir / ".vqclip-index.sqlite").string());
}

TEST(OutsideInputCli, WrongTypedRecordsAndManifestLinesDoNotAbortABatch) {
  const auto dir = scratch_dir("cli-bad-records");
  std::ofstream(dir / "prompts.txt") << "a red circle\na blue square\n";
  const auto out = dir / "out";
  std::filesystem::create_directories(out);
  std::ofstream(out / "manifest.jsonl") << "[1]\n{\"index\": \"zero\", \"status\": 3}\n{\"index\": 0, \"file\": 5";
  // An existing picture whose record has wrong-typed fields.
  std::ofstream(out / "0000-a-red-circle.png") << "not a png";
  std::ofstream(out / "0000-a-red-circle.json") << R"({"status": 1, "job": "x"})";
  const auto result = run_cli({"--prompts-file", (dir / "prompts.txt").string(), "--out-dir", out.string(), "--steps",
                               "1", "--cutn", "1", "--metadata", "sidecar"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("2 rendered"), std::string::npos) << result.err;

  std::ofstream(dir / "odd.json") << R"({"generation": {"prompts": 5}, "steps_done": "x"})";
  std::ofstream(dir / "odd.png") << "";
  expect_one_line(run_cli({"meta", "--parameters", (dir / "odd.png").string()}), 4, "odd.png");
}

// Under an address-space limit, as where memory is short: an allocation that
// fails inside libtorch reads as memory running out, exit 1, one line.
TEST(OutsideInputCli, MemoryRunningOutIsSaidInOneLine) {
#if defined(__SANITIZE_ADDRESS__)
  // The Release suite runs it; here the executable is instrumented too.
  GTEST_SKIP() << "ulimit -v leaves no room for AddressSanitizer's shadow memory (it maps terabytes at start)";
#endif
  const auto dir = scratch_dir("cli-out-of-memory");
  // Under `ulimit -v` the estimate refuses the render before its first step...
  const std::string render = exe().string() + " -p x --size 2048 2048 --steps 1 --cutn 4 --models " + tiny().string() +
                             " -o " + (dir / "o.png").string() + " 2> " + (dir / "err").string();
  int status = std::system(("bash -c 'ulimit -v 1500000; exec " + render + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(slurp(dir / "err").find("available to this process; lower --size or --cutn"), std::string::npos)
      << slurp(dir / "err");
  // ...and with a budget that ignores the limit, the allocation that fails is said in one line.
  status = std::system(("bash -c 'ulimit -v 1500000; exec " + render + " --max-memory 1T'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const auto err = slurp(dir / "err");
  const auto last_line = err.substr(err.rfind("vqclip: error: "));
  EXPECT_NE(last_line.find("memory ran out while rendering (you tried to allocate"), std::string::npos) << err;
  EXPECT_EQ(std::count(last_line.begin(), last_line.end(), '\n'), 1) << err;
  EXPECT_FALSE(std::filesystem::exists(dir / "o.png"));
}

TEST(OutsideInputCli, BadLimitsAndHugePrompts) {
  expect_one_line(run_cli({"-p", "x", "--max-image-pixels", "0", "--check"}), 2, "--max-image-pixels 0");
  // An argument may be 128 KiB at most; a line of a prompt file has no such bound.
  const auto argument = run_cli({"-p", std::string(100000, 'a') + "||", "--check"});
  expect_one_line(argument, 2, "--prompt of 100002 bytes: at most 16384");
  const auto parsed = run_cli({"-p", std::string(16000, 'a') + "||", "--check"});  // under the bound: parsed
  expect_one_line(parsed, 2, "(16002 bytes)': part 2 of phase 1 is empty");
  EXPECT_LT(parsed.err.size(), 400u) << "the message quotes the start of the prompt only";
  const auto dir = scratch_dir("cli-huge-line");
  std::ofstream(dir / "prompts.txt") << "fine\n" << std::string(1 << 20, 'a') << "||\n";
  const auto line = run_cli({"--prompts-file", (dir / "prompts.txt").string(), "--check"});
  expect_one_line(line, 2, "prompts.txt:2: --prompt of 1048578 bytes: at most 16384");
  EXPECT_LT(line.err.size(), 600u);
}

TEST(OutsideInputCli, RendersThatCannotFitAreRefusedBeforeTheirFirstStep) {
  const auto dir = scratch_dir("cli-memory");
  const auto out = (dir / "a.png").string();
  expect_one_line(run_cli({"-q", "-p", "a red circle", "--steps", "2", "--max-memory", "1M", "-o", out}), 2,
                  "--size 64x64 with --cutn 32 needs about");
  EXPECT_FALSE(std::filesystem::exists(out));
  // Without --max-memory, what the machine has available: 4096x4096 needs hundreds of GiB on
  // the tiny bundle (its decoder's attention over 512x512 latent cells).
  expect_one_line(run_cli({"-q", "-p", "x", "--steps", "1", "--size", "4096", "4096", "-o", out}), 2,
                  "available to this process; lower --size or --cutn");
  expect_one_line(run_cli({"--max-memory", "8x", "-p", "x", "--check"}), 2, "--max-memory 8x: expected a size");
  // A second pass that cannot fit is refused naming --hires, before the first pass starts.
  expect_one_line(run_cli({"-q", "-p", "x", "--steps", "1", "--size", "512", "512", "--hires", "8", "-o", out}), 2,
                  "--hires makes a second pass of 4096x4096, which with --cutn 32 needs about");

  // In a batch the job that cannot fit fails, in the flags its line spells; the others render.
  std::ofstream(dir / "prompts.txt") << "a red circle\na blue square -- --size 1024 1024\n";
  const auto batch = run_cli({"--prompts-file", (dir / "prompts.txt").string(), "--out-dir", (dir / "out").string(),
                              "--steps", "1", "--cutn", "2", "--max-memory", "200M"});
  EXPECT_EQ(batch.exit_code, 6) << batch.err;
  std::ifstream manifest(dir / "out" / "manifest.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(manifest, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["status"], "done");
  EXPECT_EQ(lines[1]["status"], "failed");
  EXPECT_NE(lines[1]["error"].get<std::string>().find("--size 1024x1024 with --cutn 2 needs about"), std::string::npos)
      << lines[1]["error"];
}

}  // namespace
}  // namespace vqclip::test
