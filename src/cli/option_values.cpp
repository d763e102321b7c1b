#include "cli/option_values.hpp"

#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// The option of `app` or of one of its subcommands that `token` names ("-o",
// "--output"), or nullptr.
const CLI::Option* find_option(const CLI::App& app, const std::string& token) {
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_positional() && option->check_name(token)) return option;
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (const auto* option = find_option(*sub, token)) return option;
  }
  return nullptr;
}

bool looks_like_option(const std::string& token) { return token.size() > 1 && token[0] == '-'; }

}  // namespace

void reject_options_as_values(const CLI::App& app, const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    const auto& token = args[i];
    if (token == "--") return;  // the rest are positional
    if (!looks_like_option(token) || token.find('=') != std::string::npos) continue;
    const auto* option = find_option(app, token);
    if (!option || option->get_items_expected_min() == 0) continue;  // unknown, or a flag
    const auto& next = args[i + 1];
    const auto next_name = next.substr(0, next.find('='));
    if (looks_like_option(next) && find_option(app, next_name)) {
      throw UsageError(token + " " + next + ": " + next_name + " is an option, not a value (write " +
                       option->get_name() + "=" + next + " to mean it as one)");
    }
  }
}

}  // namespace vqclip::cli
