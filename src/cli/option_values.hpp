#pragma once
// `vqclip -p -o out.png` would render the prompts "-o" and "out.png" into
// ./output.png: CLI11 takes whatever follows an option as its value. An
// option's value that is itself one of the options is refused instead;
// `--prompt=-o` still writes it on purpose.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vqclip::cli {

// Throws UsageError naming the option and the value. `args` in command-line order.
void reject_options_as_values(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace vqclip::cli
