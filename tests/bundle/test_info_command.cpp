// `vqclip info`: the manifest, file sizes, parameter counts per module and the
// integrity check, as JSON (--json) and as text.
#include "broken_bundle.hpp"

namespace vqclip {
namespace {

int64_t parameter_count(const torch::jit::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

TEST(InfoCommand, JsonHasTheManifestFilesParametersAndIntegrity) {
  const auto dir = test::vit_bundle();
  const auto result = test::run_cli({"info", "--json", "--models", dir.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = nlohmann::json::parse(result.out);
  const auto manifest = test::read_json(dir / "vqclip.json");

  EXPECT_EQ(info.at("name"), manifest.at("name"));
  EXPECT_EQ(info.at("directory"), dir.string());
  EXPECT_EQ(info.at("device"), "cpu");
  EXPECT_EQ(info.at("manifest"), manifest);
  EXPECT_EQ(info.at("integrity"), "ok");

  uintmax_t total_bytes = 0;
  ASSERT_EQ(info.at("files").size(), manifest.at("files").size());
  for (const auto& [name, digest] : manifest.at("files").items()) {
    const auto& file = info.at("files").at(name);
    EXPECT_EQ(file.at("bytes"), std::filesystem::file_size(dir / name)) << name;
    EXPECT_EQ(file.at("sha256"), digest) << name;
    total_bytes += std::filesystem::file_size(dir / name);
  }
  EXPECT_EQ(info.at("total_bytes"), total_bytes);

  const auto models = load_models(dir, LoadOptions{});
  const auto& clip = models.require_clip();
  const auto& vqgan = models.require_vqgan();
  const auto& parameters = info.at("parameters");
  EXPECT_EQ(parameters.at("text_encoder"), parameter_count(clip.text_encoder));
  EXPECT_EQ(parameters.at("image_encoder"), parameter_count(clip.image_encoder));
  EXPECT_EQ(parameters.at("decoder"), parameter_count(vqgan.decoder));
  EXPECT_EQ(parameters.at("encoder"), parameter_count(*vqgan.encoder));
  EXPECT_EQ(parameters.at("total"), parameter_count(clip.text_encoder) + parameter_count(clip.image_encoder) +
                                        parameter_count(vqgan.decoder) + parameter_count(*vqgan.encoder));
  EXPECT_GT(parameters.at("decoder").get<int64_t>(), 0);
}

TEST(InfoCommand, NoVerifySaysTheCheckWasNotMade) {
  const auto dir = test::copy_bundle(test::vit_bundle(), "info-no-verify");
  test::edit_manifest(dir, [](auto& j) { j["files"]["clip_text.pt"] = std::string(64, 'a'); });

  const auto checked = test::run_cli({"info", "--json", "--models", dir.string()});
  EXPECT_EQ(checked.exit_code, 3);
  EXPECT_NE(checked.err.find("clip_text.pt: sha256 mismatch"), std::string::npos) << checked.err;

  const auto unchecked = test::run_cli({"info", "--json", "--no-verify", "--models", dir.string()});
  ASSERT_EQ(unchecked.exit_code, 0) << unchecked.err;
  EXPECT_EQ(nlohmann::json::parse(unchecked.out).at("integrity"), "not checked");
}

TEST(InfoCommand, WithoutAnEncoderNoEncoderParameters) {
  const auto dir = test::copy_bundle(test::test_bundles() / "rn-gumbel", "info-no-encoder");
  test::edit_manifest(dir, [](auto& j) {
    j["vqgan"].erase("encoder");
    j["files"].erase("vqgan_encoder.pt");
  });
  const auto result = test::run_cli({"info", "--json", "--models", dir.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = nlohmann::json::parse(result.out);
  EXPECT_EQ(info.at("name"), "test-rn-gumbel");
  EXPECT_FALSE(info.at("parameters").contains("encoder"));
  EXPECT_FALSE(info.at("files").contains("vqgan_encoder.pt"));
}

std::vector<std::string> lines_starting_with(const std::string& text, const std::string& label) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(label, 0) == 0) found.push_back(line);
  }
  return found;
}

TEST(InfoCommand, TextNamesEveryFileModuleAndTheIntegrity) {
  const auto dir = test::vit_bundle();
  const auto result = test::run_cli({"info", "--models", dir.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto manifest = read_manifest(dir);
  EXPECT_EQ(lines_starting_with(result.out, "name").at(0), "name         " + manifest.name);
  EXPECT_EQ(lines_starting_with(result.out, "integrity").at(0),
            "integrity    ok (sha256 of " + std::to_string(manifest.file_hashes.size()) + " files matched)");
  for (const auto& [name, digest] : manifest.file_hashes) {
    EXPECT_NE(result.out.find(name), std::string::npos) << name;
    EXPECT_NE(result.out.find(std::to_string(std::filesystem::file_size(dir / name)) + " bytes  sha256 " + digest),
              std::string::npos)
        << name;
  }
  const auto models = load_models(dir, LoadOptions{});
  for (const auto& [role, module] : std::vector<std::pair<std::string, torch::jit::Module>>{
           {"text_encoder", models.require_clip().text_encoder}, {"decoder", models.require_vqgan().decoder}}) {
    const auto count = std::to_string(parameter_count(module));
    EXPECT_NE(result.out.find(role), std::string::npos) << role;
    EXPECT_NE(result.out.find(" " + count + "  "), std::string::npos) << role << " " << count;
  }
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace vqclip
