#pragma once
// Subcommand plumbing: each command file builds its CLI11 sub-app and runs
// itself with the options every command shares.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "vqclip/bundle.hpp"
#include "vqclip/runtime.hpp"  // resolve_device

namespace vqclip::cli {

// Options accepted by every command (before or after the subcommand name).
struct GlobalOptions {
  std::optional<std::filesystem::path> models;
  std::string device = "auto";
  bool no_verify = false;
  int threads = 0;  // 0 = number of cores
  int verbosity = 0;
  bool quiet = false;
};

class Command {
 public:
  virtual ~Command() = default;
  // Returns the process exit code; throws vqclip::Error for failures.
  virtual int run(const GlobalOptions& global) = 0;
  CLI::App* app = nullptr;
};

std::unique_ptr<Command> make_info_command(CLI::App& parent);
std::unique_ptr<Command> make_tokenize_command(CLI::App& parent);
std::unique_ptr<Command> make_score_command(CLI::App& parent);
std::unique_ptr<Command> make_classify_command(CLI::App& parent);
std::unique_ptr<Command> make_search_command(CLI::App& parent);
std::unique_ptr<Command> make_meta_command(CLI::App& parent);

// Resolves the bundle directory and loads it on the resolved device.
Bundle load_bundle_for(const GlobalOptions& global, bool need_encoder);

}  // namespace vqclip::cli
