// `vqclip tokenize TEXT...`: the ids the bundle's tokenizer gives each text.
#include <algorithm>
#include <iostream>

#include "cli/command.hpp"

namespace vqclip::cli {
namespace {

class TokenizeCommand : public Command {
 public:
  explicit TokenizeCommand(CLI::App& parent) {
    app = parent.add_subcommand(
        "tokenize", "Print the token ids of each TEXT, one line per text (with -v, a line of its pieces after it)");
    app->add_option("text", texts_, "Texts to tokenize")->required()->type_name("TEXT");
    app->add_flag("--json", json_, "One JSON array per line");
  }

  int run(const CommonOptions& common) override {
    validate(common.context);
    const auto manifest = read_manifest(resolve_bundle_dir(common.context.models));
    const auto tokenizer = load_tokenizer(manifest, common.context.verify);
    for (const auto& text : texts_) {
      const auto tokens = tokenizer->tokenize(text);
      // Without padding: bos, the kept text ids (one piece each), eos. Counted, not
      // searched for: the text itself may hold the eos token.
      const auto used = std::min(tokens.pieces.size() + 2, tokens.ids.size());
      const std::vector<int64_t> ids(tokens.ids.begin(), tokens.ids.begin() + static_cast<std::ptrdiff_t>(used));
      if (json_) {
        std::cout << nlohmann::json(ids).dump() << "\n";
      } else {
        for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
        std::cout << "\n";
      }
      if (common.display.verbosity > 0) {
        std::cout << (json_ ? nlohmann::json(tokens.pieces).dump() : join(tokens.pieces)) << "\n";
      }
    }
    return 0;
  }

 private:
  static std::string join(const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& piece : pieces) out += (out.empty() ? "" : " ") + piece;
    return out;
  }

  std::vector<std::string> texts_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_tokenize_command(CLI::App& parent) { return std::make_unique<TokenizeCommand>(parent); }

}  // namespace vqclip::cli
