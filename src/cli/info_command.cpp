// `vqclip info`: what a bundle holds, its sizes, parameter counts and integrity.
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

int64_t parameter_count(const torch::jit::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

class InfoCommand : public Command {
 public:
  explicit InfoCommand(CLI::App& parent) {
    app = parent.add_subcommand("info", "Describe a model bundle: manifest, file sizes, parameters, integrity");
    app->add_flag("--json", json_, "Print JSON instead of text");
  }

  int run(const GlobalOptions& global) override {
    const auto dir = resolve_bundle_dir(global.models);
    const auto manifest = read_manifest(dir);

    nlohmann::json integrity = "skipped (--no-verify)";
    if (!global.no_verify) {
      integrity = manifest.file_hashes.empty() ? "no hashes in vqclip.json" : "ok";
      for (const auto& [name, expected] : manifest.file_hashes) {
        if (sha256_file(dir / name) != expected) integrity = "MISMATCH: " + name;
      }
    }
    LoadOptions options;
    options.device = torch::kCPU;
    options.verify_hashes = false;  // reported above instead of failing
    const auto bundle = load_bundle(dir, options);

    nlohmann::json files = nlohmann::json::object();
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files[entry.path().filename().string()] = entry.file_size();
    }
    nlohmann::json parameters = {{"text_encoder", parameter_count(bundle.text_encoder)},
                                 {"image_encoder", parameter_count(bundle.image_encoder)},
                                 {"decoder", parameter_count(bundle.decoder)}};
    if (bundle.encoder) parameters["encoder"] = parameter_count(*bundle.encoder);

    nlohmann::json info = {{"directory", dir.string()}, {"manifest", manifest.raw}, {"file_sizes", files},
                           {"parameters", parameters}, {"integrity", integrity}};
    if (json_) {
      std::cout << info.dump(2) << "\n";
      return 0;
    }
    std::cout << "bundle      " << manifest.name << " (" << dir.string() << ")\n"
              << "default     " << manifest.default_width << "x" << manifest.default_height << "\n"
              << "clip        resolution " << manifest.clip.input_resolution << ", context "
              << manifest.clip.context_length << ", embed " << manifest.clip.embed_dim << ", logit scale "
              << manifest.clip.logit_scale << ", tokenizer " << manifest.clip.tokenizer.type << "\n"
              << "vqgan       factor " << manifest.vqgan.downsample_factor << ", codes " << manifest.vqgan.n_embed
              << " x " << manifest.vqgan.embed_dim << ", encoder " << (manifest.vqgan.encoder ? "yes" : "no") << "\n";
    for (const auto& [name, count] : parameters.items()) {
      std::cout << "parameters  " << name << " " << count.get<int64_t>() << "\n";
    }
    for (const auto& [name, size] : files.items()) {
      std::cout << "file        " << name << " " << size.get<uint64_t>() << " bytes\n";
    }
    std::cout << "integrity   " << integrity.get<std::string>() << "\n";
    return 0;
  }

 private:
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_info_command(CLI::App& parent) { return std::make_unique<InfoCommand>(parent); }

}  // namespace vqclip::cli
