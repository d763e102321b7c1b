// `vqclip info`: what a bundle holds, its sizes, parameter counts and integrity.
// A bundle that fails to load fails here too (exit 3), so `info` doubles as
// the check of a freshly exported or copied bundle.
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/bundle_info.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip::cli {
namespace {

class InfoCommand : public Command {
 public:
  explicit InfoCommand(CLI::App& parent) {
    app = parent.add_subcommand("info", "Describe a model bundle: manifest, file sizes, parameters, integrity");
    app->add_flag("--json", json_, "Print JSON instead of text");
  }

  int run(const CommonOptions& common) override {
    const auto context = resolve(common.context);
    configure_threads(context.threads);
    LoadOptions options;
    options.device = context.device;
    options.verify_hashes = context.verify;
    const auto info = describe_bundle(context.bundle_dir, options);
    if (json_) {
      std::cout << bundle_info_json(info).dump(2) << "\n";
    } else {
      std::cout << bundle_info_text(info);
    }
    return 0;
  }

 private:
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_info_command(CLI::App& parent) { return std::make_unique<InfoCommand>(parent); }

}  // namespace vqclip::cli
