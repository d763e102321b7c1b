// `vqclip meta FILE`: prints the run record stored with a generated picture.
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"

namespace vqclip::cli {
namespace {

class MetaCommand : public Command {
 public:
  explicit MetaCommand(CLI::App& parent) {
    app = parent.add_subcommand("meta", "Print the metadata vqclip stored with a picture");
    app->add_option("file", file_, "PNG written by vqclip")->required()->type_name("FILE");
    app->add_flag("--parameters", parameters_only_, "Print only the one-line 'parameters' summary");
  }

  int run(const CommonOptions&) override {
    const auto record = read_picture_record(file_);
    if (parameters_only_) {
      try {
        std::cout << parameters_text(record) << "\n";
      } catch (const nlohmann::json::exception& e) {
        throw InputError(file_.string() + ": the vqclip record lacks a field or has one of the wrong type (" +
                         e.what() + ")");
      }
    } else {
      std::cout << record.dump(2) << "\n";
    }
    return 0;
  }

 private:
  std::filesystem::path file_;
  bool parameters_only_ = false;
};

}  // namespace

std::unique_ptr<Command> make_meta_command(CLI::App& parent) { return std::make_unique<MetaCommand>(parent); }

}  // namespace vqclip::cli
