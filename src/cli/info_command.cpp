// `vqclip info`: what a bundle holds, its sizes, parameter counts and integrity.
// A bundle that fails to load fails here too (exit 3), so `info` doubles as
// the check of a freshly exported or copied bundle.
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/bundle_info.hpp"

namespace vqclip::cli {
namespace {

class InfoCommand : public Command {
 public:
  explicit InfoCommand(CLI::App& parent) {
    app = parent.add_subcommand("info", "Describe a model bundle: manifest, file sizes, parameters, integrity");
    app->add_flag("--json", json_, "Print JSON instead of text");
  }

  int run(const GlobalOptions& global) override {
    LoadOptions options;
    options.device = resolve_device(global.device);
    options.verify_hashes = !global.no_verify;
    const auto info = describe_bundle(resolve_bundle_dir(global.models), options);
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
