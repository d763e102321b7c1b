#include <cmath>

#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"
#include "test_env.hpp"

namespace vqclip {
namespace {

constexpr double kNoStop = -std::numeric_limits<double>::infinity();

struct ParseCase {
  const char* input;
  std::vector<std::vector<PromptSpec>> expected;
};

class PromptParserTable : public ::testing::TestWithParam<ParseCase> {};

TEST_P(PromptParserTable, ParsesLikeTheTable) {
  const auto& c = GetParam();
  const auto phases = parse_prompt(c.input);
  ASSERT_EQ(phases.size(), c.expected.size()) << c.input;
  for (size_t p = 0; p < phases.size(); ++p) {
    ASSERT_EQ(phases[p].size(), c.expected[p].size()) << c.input;
    for (size_t i = 0; i < phases[p].size(); ++i) {
      EXPECT_EQ(phases[p][i].text, c.expected[p][i].text) << c.input;
      EXPECT_DOUBLE_EQ(phases[p][i].weight, c.expected[p][i].weight) << c.input;
      EXPECT_EQ(phases[p][i].stop, c.expected[p][i].stop) << c.input;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PromptParserTable,
    ::testing::Values(
        ParseCase{"a red circle", {{{"a red circle", 1.0, kNoStop}}}},
        ParseCase{"  a red circle  ", {{{"a red circle", 1.0, kNoStop}}}},
        ParseCase{"a cat:2", {{{"a cat", 2.0, kNoStop}}}},
        ParseCase{"a cat:-1.5", {{{"a cat", -1.5, kNoStop}}}},
        ParseCase{"a cat:0.5:-0.2", {{{"a cat", 0.5, -0.2}}}},
        ParseCase{"a cat : 2", {{{"a cat", 2.0, kNoStop}}}},
        ParseCase{"a cat:1e-1", {{{"a cat", 0.1, kNoStop}}}},
        // Colons that are not a trailing number stay in the text.
        ParseCase{"see https://example.org/a", {{{"see https://example.org/a", 1.0, kNoStop}}}},
        ParseCase{"see https://example.org/a:3", {{{"see https://example.org/a", 3.0, kNoStop}}}},
        ParseCase{"ratio 3:2", {{{"ratio 3:2", 1.0, kNoStop}}}},
        ParseCase{"at 10:30", {{{"at 10:30", 1.0, kNoStop}}}},
        ParseCase{"note: a cat", {{{"note: a cat", 1.0, kNoStop}}}},
        ParseCase{"a cat:abc", {{{"a cat:abc", 1.0, kNoStop}}}},
        ParseCase{"red:1|blue:-0.5", {{{"red", 1.0, kNoStop}, {"blue", -0.5, kNoStop}}}},
        ParseCase{"a ^ b | c:2", {{{"a", 1.0, kNoStop}}, {{"b", 1.0, kNoStop}, {"c", 2.0, kNoStop}}}}));

class PromptParserErrors : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(PromptParserErrors, RejectsWithUsageErrorNamingTheProblem) {
  const auto& [input, expected_words] = GetParam();
  try {
    parse_prompt(input);
    FAIL() << "accepted: " << input;
  } catch (const ParameterError& e) {
    EXPECT_NE(std::string(e.what()).find(expected_words), std::string::npos) << e.what();
    EXPECT_EQ(e.field(), "prompts") << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PromptParserErrors,
                         ::testing::Values(std::make_pair("", "empty"), std::make_pair("   ", "empty"),
                                           std::make_pair("a||b", "part 2"), std::make_pair("a|", "part 2"),
                                           std::make_pair("a^^b", "phase 2"), std::make_pair(":2", "no text"),
                                           std::make_pair("a cat:1e999", "out of range"),
                                           std::make_pair("a cat:1:1e400", "out of range")));

TEST(PromptPhases, SimultaneousValuesMergePhaseByPhase) {
  const auto merged = merge_prompt_phases({parse_prompt("a ^ b ^ c"), parse_prompt("x")});
  ASSERT_EQ(merged.size(), 3u);
  for (const auto& phase : merged) ASSERT_EQ(phase.size(), 2u);
  EXPECT_EQ(merged[0][0].text, "a");
  EXPECT_EQ(merged[2][0].text, "c");
  EXPECT_EQ(merged[2][1].text, "x");  // a value with fewer phases keeps its last
}

TEST(ImagePrompt, ParsesPathWeightAndStop) {
  const auto spec = parse_image_prompt("pics/frame2.png:0.5:0.1");
  EXPECT_EQ(spec.text, "pics/frame2.png");
  EXPECT_DOUBLE_EQ(spec.weight, 0.5);
  EXPECT_DOUBLE_EQ(spec.stop, 0.1);
  EXPECT_EQ(parse_image_prompt("img2:3").text, "img2");
}

TEST(NoisePrompt, ParsesSeedAndWeight) {
  const auto spec = parse_noise_prompt("42:0.25");
  EXPECT_EQ(spec.text, "42");
  EXPECT_DOUBLE_EQ(spec.weight, 0.25);
  EXPECT_THROW(parse_noise_prompt("forty-two"), UsageError);
  EXPECT_THROW(parse_noise_prompt("-1"), UsageError);
}

// The number check scans once: a long run of digits after a colon (a regex
// engine recursed per character and overflowed the stack) parses, or is refused, quickly.
TEST(PromptParser, LongDigitRunsDoNotExhaustTheStack) {
  const std::string digits(200000, '7');
  const auto phases = parse_prompt("a cat:0." + digits);
  EXPECT_EQ(phases[0][0].text, "a cat");
  EXPECT_NEAR(phases[0][0].weight, 0.7777777, 1e-6);
  try {
    parse_prompt("a cat:" + digits);
    FAIL() << "a weight of 10^200000 was accepted";
  } catch (const ParameterError& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u) << "the message quotes an excerpt, not the whole prompt";
    EXPECT_NE(std::string(e.what()).find("(200006 bytes)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_prompt("a cat:" + digits + "x")[0][0].text, "a cat:" + digits + "x") << "not a number: text";
}

}  // namespace
}  // namespace vqclip
