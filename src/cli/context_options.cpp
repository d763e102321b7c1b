#include "cli/context_options.hpp"

#include "cli/byte_size.hpp"
#include "cli/option_binding.hpp"
#include "cli/option_names.hpp"

namespace vqclip::cli {
namespace {

const char* kGroup = "General";

}  // namespace

std::vector<const CLI::Option*> add_context_options(CLI::App& app, ContextParams& c) {
  return {
      app.add_option_function<std::string>(
             option_names("models"), [&c](const std::string& dir) { c.models = dir; },
             "Model bundle directory (default: $VQCLIP_MODELS, else the bundled tiny model)")
          ->group(kGroup)->type_name("DIR"),
      app.add_option_function<std::string>(
             option_names("device"),
             [&c](const std::string& text) {
               const auto choice = DeviceChoice::parse(text);
               if (!choice) throw CLI::ValidationError("--device " + text + ": expected auto, cpu, cuda or cuda:N");
               c.device = *choice;
             },
             "auto (CUDA when present), cpu, cuda or cuda:N")
          ->group(kGroup)->type_name("auto|cpu|cuda|cuda:N")->default_str("auto"),
      add_enum_option(app, "precision", c.precision,
                      "Module precision: bf16 autocasts the VQGAN decoder and the CLIP image encoders (CPU or CUDA), "
                      "fp16 likewise on CUDA; both change pixels against fp32")
          ->group(kGroup),
      app.add_flag_callback(option_names("verify"), [&c] { c.verify = false; },
                            "Skip the sha256 check of the bundle files")
          ->group(kGroup),
      app.add_option(option_names("max_image_pixels"), c.max_image_pixels,
                     "Input pictures (image prompts, init images, pictures to score) with more pixels are refused "
                     "from their header, unread")
          ->group(kGroup),
      app.add_option_function<std::string>(
             option_names("max_memory"),
             [&c](const std::string& text) {
               const auto bytes = parse_byte_size(text);
               if (!bytes) throw CLI::ValidationError("--max-memory " + text + ": expected a size such as 8G or 512M");
               c.max_memory = *bytes;
             },
             "Memory one render step may take, estimated before the first step from costs measured on the bundle "
             "(K, M, G, T: powers of 1024); 0 = what the machine has available. Larger renders are refused")
          ->group(kGroup)->type_name("SIZE")->default_str("0"),
      app.add_option(option_names("threads"), c.threads,
                     "CPU threads for libtorch, at most the cores (" + std::to_string(max_threads()) +
                         " here); 0 = auto (OMP_NUM_THREADS if set, else every core)")
          ->group(kGroup),
  };
}

void add_display_options(CLI::App& app, DisplayOptions& d) {
  add_enum_option(app, "progress", d.progress,
                  "Progress: auto (a live line on a terminal, log lines otherwise), tty, plain, or json (one object a "
                  "line on stdout)")
      ->group(kGroup);
  app.add_option(option_names("log_every"), d.log_every,
                 "Plain progress: a line every N steps; 0 = every 10%")
      ->group(kGroup)->check(CLI::NonNegativeNumber);
  app.add_flag("-v,--verbose", d.verbosity, "More log detail (-vv for trace)")->group(kGroup);
  app.add_flag("-q,--quiet", d.quiet, "Errors only")->group(kGroup);
}

}  // namespace vqclip::cli
