// Prompt files, naming, seeds, shards and the manifest log.
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "test_env.hpp"
#include "batch/batch.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"

namespace vqclip {
namespace {

TEST(PromptFile, OneJobPerLineWithCommentsAndOverrides) {
  GenerationParams base;
  base.steps = 10;
  const std::string text =
      "# a comment\n"
      "\n"
      "a red circle | blue:0.5 -- --seed 7 --steps 50\n"
      "   \n"
      "a green cross\r\n"
      "ratio 3:2 -- --cutn 4\n";
  const auto jobs = parse_prompt_file(text, "prompts.txt", base, OutputParams{});
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].index, 0);
  EXPECT_EQ(jobs[0].line, 3);
  EXPECT_EQ(jobs[0].prompt, "a red circle | blue:0.5");
  EXPECT_EQ(jobs[0].generation.steps, 50);
  ASSERT_TRUE(jobs[0].seed_override);
  EXPECT_EQ(*jobs[0].seed_override, 7u);
  EXPECT_EQ(jobs[1].line, 5);
  EXPECT_EQ(jobs[1].prompt, "a green cross");
  EXPECT_EQ(jobs[1].generation.steps, 10) << "the base config applies where a line is silent";
  EXPECT_FALSE(jobs[1].seed_override);
  EXPECT_EQ(jobs[2].generation.cutouts.cutn, 4);
  EXPECT_EQ(jobs[2].generation.prompts, std::vector<std::string>{"ratio 3:2"});
}

struct PromptFileCase {
  std::string text;
  ExitCode code;         // as on the command line: a bad option is a usage error
  std::string expected;  // in the message
};

class PromptFileErrors : public ::testing::TestWithParam<PromptFileCase> {};

TEST_P(PromptFileErrors, NameTheLine) {
  const auto& c = GetParam();
  try {
    parse_prompt_file(c.text, "p.txt", GenerationParams{}, OutputParams{});
    FAIL() << "accepted: " << c.text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), c.code) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PromptFileErrors,
    ::testing::Values(PromptFileCase{"ok\nbad || prompt\n", ExitCode::kUsage, "p.txt:2: --prompt 'bad || prompt'"},
                      PromptFileCase{"ok\n\nfine -- --steps abc\n", ExitCode::kUsage, "p.txt:3: Could not convert: --steps"},
                      PromptFileCase{"ok\nfine -- --steps 0\n", ExitCode::kUsage, "p.txt:2: --steps 0: expected 1"},
                      PromptFileCase{"x -- --no-such-option\n", ExitCode::kUsage, "p.txt:1"},
                      PromptFileCase{"x -- --prompt y\n", ExitCode::kUsage, "p.txt:1: --prompt cannot be set"},
                      PromptFileCase{"x -- -o y.png\n", ExitCode::kUsage, "p.txt:1: --output cannot be set"},
                      PromptFileCase{"x -- --threads 1\n", ExitCode::kUsage, "p.txt:1: --threads cannot be set"},
                      PromptFileCase{"x -- --device cpu\n", ExitCode::kUsage, "p.txt:1: --device cannot be set"},
                      PromptFileCase{"x -- --augment swirl\n", ExitCode::kUsage, "swirl"},
                      PromptFileCase{"x -- --init-image a.png --init-noise pixels\n", ExitCode::kUsage,
                                     "p.txt:1: --init-image and --init-noise cannot be combined"},
                      PromptFileCase{"ok\nc\xFF\n", ExitCode::kUsage, "p.txt:2: --prompt is not valid UTF-8 at byte 1"},
                      PromptFileCase{std::string("ok\na\0b\n", 7), ExitCode::kUsage, "p.txt:2: --prompt holds a NUL byte"},
                      PromptFileCase{"x -- --image-prompt --steps 3\n", ExitCode::kUsage, "--steps is an option"},
                      PromptFileCase{"# only comments\n\n", ExitCode::kInput, "no prompts"}));

TEST(PromptFile, ADirectoryIsNotAPromptFile) {
  try {
    read_prompt_file(test::scratch_dir("prompt-file-dir").string());
    FAIL() << "a directory was read as a prompt file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(PromptFile, LineOptionsReplaceTheBatchsLists) {
  GenerationParams base;
  base.image_prompts.push_back({ImageSource::file("base.png"), 1.0});
  const auto jobs = parse_prompt_file("a\nb -- --image-prompt line.png:0.5\n", "p.txt", base, OutputParams{});
  ASSERT_EQ(jobs[0].generation.image_prompts.size(), 1u);
  EXPECT_EQ(jobs[0].generation.image_prompts[0].image.path, "base.png");
  ASSERT_EQ(jobs[1].generation.image_prompts.size(), 1u) << "as -p, a line's value replaces the batch's";
  EXPECT_EQ(jobs[1].generation.image_prompts[0].image.path, "line.png");
  EXPECT_DOUBLE_EQ(jobs[1].generation.image_prompts[0].weight, 0.5);
}

TEST(JobNaming, SlugIsAsciiAndShort) {
  EXPECT_EQ(slugify("A Red Circle, on a BLUE background!"), "a-red-circle-on-a-blue-background");
  EXPECT_EQ(slugify("café ☕ crème"), "caf-cr-me");
  EXPECT_EQ(slugify("!!!"), "prompt");
  EXPECT_LE(slugify(std::string(200, 'a')).size(), 60u);
  EXPECT_EQ(slugify(std::string(59, 'a') + " b").back(), 'a') << "no trailing dash after the cut";
}

TEST(JobNaming, TemplateFields) {
  Job job;
  job.index = 7;
  job.line = 12;
  job.prompt = "a red circle";
  EXPECT_EQ(job_file_name("{index:04}-{slug}.png", job, 99), "0007-a-red-circle.png");
  EXPECT_EQ(job_file_name("{index}_{line}_{seed}.png", job, 99), "7_12_99.png");
  EXPECT_THROW(job_file_name("{slug}.png", job, 1), UsageError) << "names could collide without {index}";
  EXPECT_THROW(job_file_name("{index}/{slug}.png", job, 1), UsageError);
  EXPECT_THROW(job_file_name("{index}-{colour}.png", job, 1), UsageError);
  EXPECT_EQ(job_file_name("{index:4}.png", job, 1), "0007.png");
  EXPECT_EQ(job_file_name("{index:064}", job, 1), std::string(63, '0') + "7") << "the widest width";
  // Widths that would overflow or build huge names, and names no file system takes.
  for (const char* bad : {"{index:065}", "{index:99999999999999999999}", "{index:999999999}", "{index:}",
                          "{index:x}", "{index", "x}{index}", "{index}-{slug}" "-{slug}-{slug}-{slug}-{slug}"}) {
    job.prompt = std::string(80, 'a');
    EXPECT_THROW(job_file_name(bad, job, 1), UsageError) << bad;
  }
}

TEST(JobSeeds, DependOnBaseAndIndexOnly) {
  Job a, b;
  a.index = 3;
  b.index = 4;
  EXPECT_EQ(job_seed(42, a), job_seed(42, a));
  EXPECT_NE(job_seed(42, a), job_seed(42, b));
  EXPECT_NE(job_seed(42, a), job_seed(43, a));
  a.seed_override = 5;
  EXPECT_EQ(job_seed(42, a), 5u);
}

class ShardEnv : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                             "JOB_COMPLETION_INDEX"}) {
      unsetenv(name);
    }
  }
};

TEST_F(ShardEnv, ExplicitAndAutomaticShards) {
  const auto whole = resolve_shard("", 0);
  EXPECT_EQ(whole.count, 1);
  const auto s = resolve_shard("1/3", 0);
  EXPECT_TRUE(s.owns(1));
  EXPECT_TRUE(s.owns(4));
  EXPECT_FALSE(s.owns(2));
  for (const char* bad : {"3/3", "1/0", "a/b", "1-3", "-1/3", "/3", "1/", "1/3/5", "1234567890/2"}) {
    EXPECT_THROW(resolve_shard(bad, 0), UsageError) << bad;
  }
  // No regex: a long value is refused, not a stack overflow.
  EXPECT_THROW(resolve_shard(std::string(200000, '1') + "/2", 0), UsageError);
  EXPECT_THROW(resolve_shard("auto", 0), UsageError);

  setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  auto slurm = resolve_shard("auto", 0);
  EXPECT_EQ(slurm.index, 2);
  EXPECT_EQ(slurm.count, 3);
  setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  setenv("SLURM_ARRAY_TASK_MIN", "1", 1);  // --array=1-3
  EXPECT_EQ(resolve_shard("auto", 0).index, 2);
  TearDown();

  setenv("JOB_COMPLETION_INDEX", "1", 1);
  EXPECT_THROW(resolve_shard("auto", 0), UsageError) << "Kubernetes needs the completions count";
  const auto k8s = resolve_shard("auto", 4);
  EXPECT_EQ(k8s.index, 1);
  EXPECT_EQ(k8s.count, 4);
}

TEST(ManifestLog, ConcurrentAppendersKeepLinesWhole) {
  const auto dir = test::scratch_dir("manifest-concurrent");
  const auto path = dir / "manifest.jsonl";
  constexpr int kWriters = 4;
  constexpr int kLines = 200;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < kLines; ++i) {
        append_manifest_line(path, {{"writer", w}, {"i", i}, {"padding", std::string(300, 'x')}});
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) waitpid(pid, nullptr, 0);
  const auto lines = read_manifest_lines(path);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kWriters * kLines));
  std::set<std::pair<int, int>> seen;
  for (const auto& line : lines) seen.insert({line.at("writer").get<int>(), line.at("i").get<int>()});
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kLines));
}

}  // namespace
}  // namespace vqclip
