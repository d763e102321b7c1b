// State files: a torch archive of typed entries (docs/architecture.md,
// "Resumable renders").
#include "vqclip/render_state.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "model/sha256.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/limits.hpp"

namespace vqclip {
namespace {

constexpr const char* kFormat = "vqclip render state";
// 2: a render with a second (hires) pass may be taken during that pass.
// 3: the drawer's parameters, one tensor or several (the first is still
// called "latent"). Earlier versions are read as ever.
constexpr int64_t kFormatVersion = 3;
// No drawer has more parameter tensors than this.
constexpr int64_t kMaxParameterTensors = 8;
// A 4096x4096 render's latent and two Adam moments are 200 MB; anything far
// beyond is not a state file.
constexpr std::uintmax_t kMaxStateBytes = std::uintmax_t{2} << 30;
// After the archive: its SHA-256, so that a truncated, changed or half-copied
// file is refused before libtorch's archive reader sees it (that reader leaks
// its zip state when an archive's records are wrong: tests/sanitizer/lsan.supp).
constexpr std::string_view kChecksumMark = "\nvqclip-state-sha256:";
constexpr size_t kTrailerBytes = kChecksumMark.size() + 64 + 1;

std::string trailer_for(const std::string& archive) {
  return std::string(kChecksumMark) + sha256_hex(archive.data(), archive.size()) + "\n";
}

// The archive key of parameter `index` under `first` ("latent": "latent", "latent_1", ...).
std::string parameter_key(const std::string& first, size_t index) {
  return index == 0 ? first : first + "_" + std::to_string(index);
}

torch::Tensor bytes_tensor(const std::string& bytes) {
  auto tensor = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
  return tensor;
}

class StateReader {
 public:
  StateReader(torch::serialize::InputArchive& archive, std::string label) : archive_(archive), label_(std::move(label)) {}

  // The entry `key`, which `is_kind` must accept (spelled `kind` in the message).
  c10::IValue value(const char* key, bool (c10::IValue::*is_kind)() const, const char* kind) {
    c10::IValue value;
    if (!archive_.try_read(key, value)) fail(std::string("no '") + key + "' entry");
    if (!(value.*is_kind)()) fail(std::string("'") + key + "' is not " + kind);
    return value;
  }
  bool has_tensor(const char* key) {
    torch::Tensor tensor;
    return archive_.try_read(key, tensor);
  }
  std::string text(const char* key) { return value(key, &c10::IValue::isString, "text").toStringRef(); }
  int64_t integer(const char* key) { return value(key, &c10::IValue::isInt, "an integer").toInt(); }
  double real(const char* key) { return value(key, &c10::IValue::isDouble, "a number").toDouble(); }
  bool flag(const char* key) { return value(key, &c10::IValue::isBool, "a flag").toBool(); }
  torch::Tensor tensor(const std::string& key, c10::ScalarType type) {
    torch::Tensor tensor;
    if (!archive_.try_read(key, tensor)) fail("no '" + key + "' tensor");
    if (tensor.scalar_type() != type) fail("'" + key + "' has the wrong element type");
    return tensor;
  }
  std::vector<torch::Tensor> tensors(const std::string& first, int64_t count) {
    std::vector<torch::Tensor> read;
    for (int64_t i = 0; i < count; ++i) read.push_back(tensor(parameter_key(first, i), torch::kFloat));
    return read;
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError("state file " + label_ + ": " + problem + "; it is damaged or from another version");
  }

 private:
  torch::serialize::InputArchive& archive_;
  std::string label_;
};

std::string read_state_bytes(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) throw InputError("state file " + path.string() + ": " + error.message());
  if (size > kMaxStateBytes) {
    throw InputError("state file " + path.string() + ": " + std::to_string(size) + " bytes is not a render state");
  }
  std::ifstream file(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file && !file.eof()) throw InputError("state file " + path.string() + ": cannot be read");
  return bytes;
}

// "300", "\"a red circle\"", "null": how a generation value reads in a message.
std::string shown(const nlohmann::json& value) {
  const auto text = value.is_null() ? std::string("nothing") : value.dump();
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

}  // namespace

void save_render_state(const RenderState& state, const std::filesystem::path& path) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("format_version", c10::IValue(kFormatVersion));
  archive.write("made_with", c10::IValue(state.made_with.dump()));
  archive.write("steps_done", c10::IValue(static_cast<int64_t>(state.loop.steps_done)));
  archive.write("lr_dropped", c10::IValue(state.loop.lr_dropped));
  archive.write("last_loss", c10::IValue(state.loop.last_loss));
  const auto& parameters = state.loop.parameters;
  archive.write("parameter_count", c10::IValue(static_cast<int64_t>(parameters.size())));
  for (size_t i = 0; i < parameters.size(); ++i) {
    archive.write(parameter_key("latent", i), parameters[i].to(torch::kCPU).contiguous());
  }
  archive.write("generator", state.loop.generator_state.to(torch::kCPU).contiguous());
  archive.write("optimiser", bytes_tensor(state.loop.optimiser_state));
  if (state.second_pass) {
    const auto& start = state.second_pass->start;
    for (size_t i = 0; i < start.size(); ++i) {
      archive.write(parameter_key("second_pass_start", i), start[i].to(torch::kCPU).contiguous());
    }
    archive.write("first_pass", c10::IValue(state.second_pass->first_pass.dump()));
  }
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  bytes += trailer_for(bytes);
  write_file_atomically(path, bytes);
}

RenderState load_render_state(const std::filesystem::path& path) {
  auto bytes = read_state_bytes(path);
  if (bytes.size() < kTrailerBytes ||
      bytes.compare(bytes.size() - kTrailerBytes, kChecksumMark.size(), kChecksumMark) != 0) {
    throw InputError("state file " + path.string() + ": not a vqclip render state (no checksum at its end)");
  }
  const auto trailer = bytes.substr(bytes.size() - kTrailerBytes);
  bytes.resize(bytes.size() - kTrailerBytes);
  if (trailer != trailer_for(bytes)) {
    throw InputError("state file " + path.string() + ": damaged (its checksum does not match: truncated or changed)");
  }
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const std::exception&) {
    throw InputError("state file " + path.string() + ": not a vqclip render state (no readable archive)");
  }
  StateReader read(archive, path.string());
  RenderState state;
  state.source = path.string();
  try {
    if (read.text("format") != kFormat) read.fail("not a vqclip render state");
    const auto version = read.integer("format_version");
    if (version < 1 || version > kFormatVersion) {
      read.fail("format version " + std::to_string(version) + ", this vqclip reads " + std::to_string(kFormatVersion));
    }
    state.made_with = nlohmann::json::parse(read.text("made_with"), nullptr, false);
    if (!state.made_with.is_object() || !state.made_with.contains("generation") ||
        !state.made_with["generation"].is_object()) {
      read.fail("its 'made_with' record is not an object with a generation");
    }
    const auto steps_done = read.integer("steps_done");
    if (steps_done < 0 || steps_done > limits::kMaxSteps) read.fail("steps_done " + std::to_string(steps_done));
    state.loop.steps_done = static_cast<int>(steps_done);
    state.loop.lr_dropped = read.flag("lr_dropped");
    state.loop.last_loss = read.real("last_loss");
    const auto count = version >= 3 ? read.integer("parameter_count") : 1;
    if (count < 1 || count > kMaxParameterTensors) read.fail("parameter_count " + std::to_string(count));
    state.loop.parameters = read.tensors("latent", count);
    state.loop.generator_state = read.tensor("generator", torch::kUInt8);
    const auto optimiser = read.tensor("optimiser", torch::kUInt8).contiguous();
    state.loop.optimiser_state.assign(static_cast<const char*>(optimiser.data_ptr()),
                                      static_cast<size_t>(optimiser.numel()));
    if (read.has_tensor("second_pass_start")) {
      SecondPassState second;
      second.start = read.tensors("second_pass_start", count);
      for (int64_t i = 0; i < count; ++i) {
        if (second.start[i].sizes() != state.loop.parameters[i].sizes()) {
          read.fail("its second pass's start has another shape");
        }
      }
      second.first_pass = nlohmann::json::parse(read.text("first_pass"), nullptr, false);
      if (!second.first_pass.is_object()) read.fail("its 'first_pass' record is not an object");
      state.second_pass = std::move(second);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    read.fail(std::string("unreadable (") + e.what() + ")");
  }
  return state;
}

int RenderState::steps_done() const {
  if (!second_pass) return loop.steps_done;
  const auto& steps = made_with.at("generation").at("steps");
  return loop.steps_done + (steps.is_number_integer() ? steps.get<int>() : 0);
}

GenerationParams adopt_from_state(GenerationParams params, const RenderState& state) {
  const auto& generation = state.made_with.at("generation");
  if (!params.seed && generation.contains("seed") && generation["seed"].is_number_unsigned()) {
    params.seed = generation["seed"].get<uint64_t>();
  }
  if (params.cutouts.batch == 0 && generation.contains("cutn_batch") && generation["cutn_batch"].is_number_integer()) {
    const auto batch = generation["cutn_batch"].get<int64_t>();
    if (batch > 0 && batch <= params.cutouts.cutn) params.cutouts.batch = static_cast<int>(batch);
  }
  return params;
}

nlohmann::json render_made_with(const nlohmann::json& record) {
  nlohmann::json made_with{{"generation", record.at("generation")},
                           {"bundle", record.at("bundle").at("files")},
                           {"context", record.at("context")}};
  // The other CLIPs' files; renders without any have no such field, as before ensembles.
  if (record.contains("perceptors")) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& perceptor : record["perceptors"]) files.push_back(perceptor.value("files", nlohmann::json()));
    made_with["perceptors"] = files;
  }
  return made_with;
}

void check_resumable(const RenderState& state, const nlohmann::json& made_with) {
  const auto& then = state.made_with;
  const auto& state_label = state.source;
  const auto differs = [&](const std::string& field, const nlohmann::json& here, const nlohmann::json& there) {
    return ParameterError(field, shown(here) + " here, but the state file " + state_label + " holds " + shown(there) +
                                     ": a state continues only the render it came from");
  };
  const auto& generation = made_with.at("generation");
  const auto& old_generation = then.at("generation");
  if (const auto key = first_generation_difference(old_generation, generation)) {
    const auto value = generation.contains(*key) ? generation[*key] : nlohmann::json();
    const auto old = old_generation.contains(*key) ? old_generation[*key] : nlohmann::json();
    throw differs(*key == "width" || *key == "height" ? "size" : *key, value, old);
  }
  if (!then.contains("bundle") || then["bundle"] != made_with.at("bundle")) {
    throw ParameterError("resume", state_label + ": written with another bundle (its files' hashes differ)");
  }
  if (then.value("perceptors", nlohmann::json()) != made_with.value("perceptors", nlohmann::json())) {
    throw ParameterError("resume", state_label + ": written with other perceptors (their CLIP files' hashes differ)");
  }
  const auto& context = made_with.at("context");
  const auto old_context = then.value("context", nlohmann::json::object());
  for (const char* key : {"device", "precision"}) {
    const auto old = old_context.is_object() && old_context.contains(key) ? old_context[key] : nlohmann::json();
    if (context.at(key) != old) throw differs(key, context.at(key), old);
  }
  if (old_context.is_object() && old_context.value("threads", nlohmann::json()) != context.at("threads")) {
    spdlog::warn("the state file {} was written with {} thread(s), this run has {}: it continues, but its pixels may "
                 "differ in the last bits from an uninterrupted run's",
                 state_label, shown(old_context.value("threads", nlohmann::json())), shown(context.at("threads")));
  }
}

}  // namespace vqclip
