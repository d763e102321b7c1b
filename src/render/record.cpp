#include "vqclip/record.hpp"

#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "vqclip/version.hpp"

namespace vqclip {
namespace {

std::string number_text(const nlohmann::json& value) {
  if (value.is_number_float()) {
    std::ostringstream out;
    out << value.get<double>();
    return out.str();
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string cpu_model_name() {
  static const std::string name = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
      if (line.rfind("model name", 0) != 0) continue;
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return std::string("unknown");
  }();
  return name;
}

nlohmann::json make_record(const Models& models, const GenerationParams& resolved, const RunProgress& progress) {
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [file, hash] : models.manifest.file_hashes) hashes[file] = hash;
  nlohmann::json record{
      {"record_version", kRecordVersion},
      {"version", version_string()},
      {"commit", git_commit()},
      {"bundle", {{"name", models.manifest.name}, {"files", hashes}}},
      // What the pixels depend on besides the parameters: the same seed gives
      // the same picture on the same machine with the same thread count.
      {"context",
       {{"device", models.device.str()}, {"precision", name_of(models.precision)}, {"threads", torch::get_num_threads()}}},
      {"machine", {{"cpu", cpu_model_name()}, {"libtorch", TORCH_VERSION}}},
      {"generation", to_json(resolved)},
      {"steps_done", progress.steps_done},
      {"final_loss", progress.final_loss},
      {"seconds", progress.seconds},
      {"status", name_of(progress.status)},
      {"interrupted", progress.status == RenderStatus::kStopped}};
  if (progress.status == RenderStatus::kNonFinite) record["non_finite_at_step"] = progress.steps_done + 1;
  if (resolved.perceptors.ensemble()) {
    nlohmann::json perceptors = nlohmann::json::array();
    for (const auto& extra : resolved.perceptors.extra) {
      nlohmann::json entry{{"bundle", extra.bundle.string()}, {"weight", extra.weight}};
      if (const auto found = models.perceptors.find(extra.bundle); found != models.perceptors.end()) {
        entry["name"] = found->second.manifest.name;
        entry["files"] = clip_file_hashes(found->second.manifest);
      }
      perceptors.push_back(entry);
    }
    record["perceptors"] = perceptors;
  }
  return record;
}

bool record_is_complete(const nlohmann::json& record) {
  // A record read back from a file may hold anything: every type is checked.
  const auto field = [](const nlohmann::json& object, const char* key) -> const nlohmann::json* {
    return object.is_object() && object.contains(key) ? &object[key] : nullptr;
  };
  const auto* status = field(record, "status");
  const auto* steps_done = field(record, "steps_done");
  const auto* generation = field(record, "generation");
  const auto* steps = generation ? field(*generation, "steps") : nullptr;
  if (!(status && status->is_string() && *status == "completed" && steps_done && steps_done->is_number_integer() &&
        steps && steps->is_number_integer())) {
    return false;
  }
  // A render with a second pass is done after that pass's steps too.
  const auto* hires_scale = field(*generation, "hires_scale");
  const auto* hires_steps = field(*generation, "hires_steps");
  if (hires_scale && hires_scale->is_number() && hires_scale->get<double>() > 0) {
    if (!hires_steps || !hires_steps->is_number_integer()) return false;
    return steps_done->get<int64_t>() == steps->get<int64_t>() + hires_steps->get<int64_t>();
  }
  return *steps_done == *steps;
}

std::string parameters_text(const nlohmann::json& record) {
  const auto& generation = record.at("generation");
  std::string prompt;
  for (const auto& p : generation.at("prompts")) prompt += (prompt.empty() ? "" : " | ") + p.get<std::string>();
  std::ostringstream line;
  line << prompt << "\n"
       << "Steps: " << record.at("steps_done").get<int>() << ", Seed: " << generation.at("seed").get<uint64_t>()
       << ", Size: " << generation.at("width").get<int>() << "x" << generation.at("height").get<int>()
       << ", Model: " << record.at("bundle").at("name").get<std::string>()
       << ", Cutn: " << generation.at("cutn").get<int>()
       << ", Cut method: " << generation.at("cut_method").get<std::string>()
       << ", Optimiser: " << generation.at("optimiser").get<std::string>()
       << ", LR: " << number_text(generation.at("lr")) << ", Loss: " << number_text(record.at("final_loss"))
       << ", Version: vqclip " << record.at("version").get<std::string>();
  // The VQGAN's pictures read as they did before drawers existed.
  if (const auto drawer = generation.value("drawer", nlohmann::json()); drawer.is_string() && drawer != "vqgan") {
    line << ", Drawer: " << drawer.get<std::string>();
  }
  if (const auto perceptors = record.value("perceptors", nlohmann::json()); perceptors.is_array()) {
    line << ", Perceptors: " << record.at("bundle").at("name").get<std::string>() << " "
         << number_text(generation.value("clip_weight", nlohmann::json(1.0)));
    for (const auto& perceptor : perceptors) {
      line << ", " << perceptor.value("name", perceptor.value("bundle", std::string("?"))) << " "
           << number_text(perceptor.value("weight", nlohmann::json()));
    }
  }
  if (const auto scale = generation.value("hires_scale", 0.0); scale > 0) {
    line << ", Hires: " << scale << "x, " << generation.at("hires_steps").get<int>() << " steps";
  }
  if (record.value("interrupted", false)) line << ", Interrupted: true";
  return line.str();
}

}  // namespace vqclip
