// `vqclip rerun PICTURE [-o OUT] [--verify]`: renders a picture again from the
// record it holds, with the record's context where the command line leaves it
// open; --verify compares the new pixels with the old.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"
#include "cli/interrupt.hpp"
#include "cli/render_to_files.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render_output.hpp"
#include "vqclip/version.hpp"

namespace vqclip::cli {
namespace {

struct PixelDifference {
  int64_t differing = 0;  // pixels with any channel different
  int largest = 0;        // of 255
  int x = 0, y = 0;       // where the largest is
};

PixelDifference compare(const RgbImage& a, const RgbImage& b) {
  PixelDifference difference;
  for (size_t i = 0; i < a.pixels.size(); i += 3) {
    int worst = 0;
    for (size_t c = 0; c < 3; ++c) worst = std::max(worst, std::abs(int{a.pixels[i + c]} - int{b.pixels[i + c]}));
    if (worst == 0) continue;
    ++difference.differing;
    if (worst > difference.largest) {
      difference.largest = worst;
      difference.x = static_cast<int>((i / 3) % a.width);
      difference.y = static_cast<int>((i / 3) / a.width);
    }
  }
  return difference;
}

// The value at record[section][key], or null.
nlohmann::json at(const nlohmann::json& record, const char* section, const char* key) {
  if (!record.contains(section) || !record[section].is_object() || !record[section].contains(key)) return nullptr;
  return record[section][key];
}

// What differs between the record's making and this rerun beyond the
// parameters: each is a reason pixels may differ in their last bits.
std::vector<std::string> context_notes(const nlohmann::json& then, const nlohmann::json& now) {
  std::vector<std::string> notes;
  const auto note = [&](const char* section, const char* key, const std::string& what) {
    const auto a = at(then, section, key), b = at(now, section, key);
    if (a != b) notes.push_back(what + ": " + (a.is_null() ? "not recorded" : a.dump()) + " then, " + b.dump() + " now");
  };
  if (then.value("version", nlohmann::json()) != now["version"] || then.value("commit", nlohmann::json()) != now["commit"]) {
    notes.push_back("vqclip version: " + then.value("version", nlohmann::json("?")).dump() + " (commit " +
                    then.value("commit", nlohmann::json("?")).dump() + ") then, " + now["version"].dump() +
                    " (commit " + now["commit"].dump() + ") now");
  }
  note("context", "threads", "threads");
  note("context", "device", "device");
  note("context", "precision", "precision");
  note("machine", "cpu", "CPU");
  note("machine", "libtorch", "libtorch");
  if (then.contains("bundle") && then["bundle"].is_object() && then["bundle"].value("files", nlohmann::json()) !=
                                                                    now["bundle"]["files"]) {
    notes.push_back("bundle: its files' hashes differ from the record's");
  }
  return notes;
}

class RerunCommand : public Command {
 public:
  explicit RerunCommand(CLI::App& parent) {
    app = parent.add_subcommand(
        "rerun",
        "Render a picture again from the record it holds (same prompts, seed, size and settings; the record's threads "
        "and precision unless given). --verify compares the pixels: exit 0 when identical, 1 when they differ");
    app->add_option("picture", picture_, "PNG written by vqclip (or with its .json record beside it)")
        ->required()->type_name("PICTURE");
    app->add_option("-o,--output", output_, "The new picture (default: PICTURE with .rerun.png)")->type_name("PATH");
    app->add_flag("--verify", verify_, "Compare the new pixels with PICTURE's and report the largest difference");
  }

  int run(const CommonOptions& common) override {
    const auto record = read_picture_record(picture_);
    if (!record.is_object() || !record.contains("generation")) {
      throw InputError(picture_.string() + ": its vqclip record has no generation parameters");
    }
    auto params = generation_from_json(record["generation"], picture_.string());
    ContextParams context = common.context;
    adopt_recorded_context(record, context);
    OutputParams output_params;
    output_params.path = output_.empty() ? std::filesystem::path(picture_).replace_extension(".rerun.png") : output_;
    if (std::filesystem::weakly_canonical(output_params.path) == std::filesystem::weakly_canonical(picture_)) {
      throw UsageError("--output " + output_params.path.string() + " is the picture being rerun; choose another");
    }
    // A stopped render is repeated up to where it stopped (its schedule is that of all its steps).
    RenderJob job;
    const auto steps_done = record.value("steps_done", nlohmann::json());
    if (steps_done.is_number_integer() && steps_done.get<int64_t>() >= 1 && steps_done.get<int64_t>() < params.steps) {
      job.stop_after = steps_done.get<int>();
    }
    try {
      validate(params);
    } catch (const ParameterError& e) {
      throw InputError(picture_.string() + ": the record's generation is not valid: " + e.what());
    }
    RenderOutput output(output_params);
    output.check_writable();
    const RgbImage original = verify_ ? read_image(picture_) : RgbImage{};

    auto models = load_models(resolve(context), ModelParts::for_render(params.needs_vqgan(), params.needs_encoder()));
    InterruptGuard interrupt_guard;
    const auto result = render_to_files(models, params, output, common.display, job);
    if (interrupt_requested()) return static_cast<int>(ExitCode::kInterrupted);
    const auto notes = context_notes(record, result.record);
    if (!verify_) {
      for (const auto& note : notes) spdlog::info("differs from the record: {}", note);
      return 0;
    }
    const auto again = read_image(output_params.path);
    if (again.width != original.width || again.height != original.height) {
      std::cout << "differ: " << original.width << "x" << original.height << " then, " << again.width << "x"
                << again.height << " now\n";
      return static_cast<int>(ExitCode::kInternal);
    }
    const auto difference = compare(original, again);
    const int64_t pixels = int64_t{again.width} * again.height;
    if (difference.differing == 0) {
      std::cout << "identical: " << pixels << " pixels of " << picture_.string() << " rendered again bit for bit\n";
      return 0;
    }
    std::cout << "differ: " << difference.differing << " of " << pixels << " pixels, largest difference "
              << difference.largest << "/255 at (" << difference.x << ", " << difference.y << ")\n";
    if (notes.empty()) {
      std::cout << "note: version, threads, device, CPU and bundle are the record's, so the pixels should have been "
                   "identical: the picture was changed after it was made, or this is a reproducibility bug\n";
    }
    for (const auto& note : notes) std::cout << "note: " << note << "\n";
    return static_cast<int>(ExitCode::kInternal);
  }

 private:
  // Threads, precision and device from the record where the command line gave none.
  void adopt_recorded_context(const nlohmann::json& record, ContextParams& context) const {
    const auto* parent = app->get_parent();
    const auto given = [parent](const char* name) { return parent->get_option(name)->count() > 0; };
    const auto threads = at(record, "context", "threads");
    if (!given("--threads") && threads.is_number_integer() && threads.get<int64_t>() >= 1) {
      context.threads = static_cast<int>(std::min<int64_t>(threads.get<int64_t>(), max_threads()));
    }
    const auto precision = at(record, "context", "precision");
    if (!given("--precision") && precision.is_string()) {
      if (const auto parsed = enum_from_name<Precision>(precision.get<std::string>())) context.precision = *parsed;
    }
    const auto device = at(record, "context", "device");
    if (!given("--device") && device.is_string()) {
      if (const auto parsed = DeviceChoice::parse(device.get<std::string>())) context.device = *parsed;
    }
  }

  std::filesystem::path picture_;
  std::filesystem::path output_;
  bool verify_ = false;
};

}  // namespace

std::unique_ptr<Command> make_rerun_command(CLI::App& parent) { return std::make_unique<RerunCommand>(parent); }

}  // namespace vqclip::cli
