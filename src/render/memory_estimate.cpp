// The memory estimate: probe steps under a tensor meter, a fit, a budget
// (docs/architecture.md, "Memory estimate").
#include "vqclip/memory_estimate.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <tuple>

#include "render/memory_cost_cache.hpp"
#include "render/memory_meter.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/record.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

// Peak tensor bytes of each side of one step on a picture of grid x grid
// units (latent cells for the VQGAN) with cutn views, the loop's construction
// included (the drawer's parameters, the optimiser's state).
struct ProbePeaks {
  double views_side = 0;
  double decoder_side = 0;
};

// A probe's drawer, saying when it has drawn. Its forward pass's temporaries
// (the vector drawer's nearest-edge search, the decoder's activations) are
// freed by then or kept for the backward pass; either way the views' costs are
// measured from there, not hidden under the drawing's own peak.
class DrawnHookDrawer : public Drawer {
 public:
  DrawnHookDrawer(std::unique_ptr<Drawer> inner, std::function<void()> on_drawn)
      : inner_(std::move(inner)), on_drawn_(std::move(on_drawn)) {}
  DrawerKind kind() const override { return inner_->kind(); }
  std::vector<torch::Tensor> parameters() const override { return inner_->parameters(); }
  torch::Tensor draw(Precision precision) override {
    auto picture = inner_->draw(precision);
    on_drawn_();
    return picture;
  }
  torch::Tensor picture() override { return inner_->picture(); }
  void project() override { inner_->project(); }
  void set_progress(double fraction_done) override { inner_->set_progress(fraction_done); }
  std::string svg() const override { return inner_->svg(); }

 private:
  std::unique_ptr<Drawer> inner_;
  std::function<void()> on_drawn_;
};

ProbePeaks probe(Models& models, const LoopSettings& base, int unit, int grid, int cutn, int batch = 0) {
  LoopSettings settings = base;
  settings.steps = 1;
  settings.cutouts.cutn = cutn;
  settings.cutouts.batch = batch;
  auto generator = make_random_generator(0, models.device);  // its own: the render's draws stay as they are
  ProbePeaks peaks;
  TensorMemoryMeter meter;
  {
    std::vector<Perceptor> perceptors;
    for (const auto& judging : judging_clips(models, settings.perceptors)) {
      auto direction =
          torch::randn({judging.clip->spec.embed_dim}, generator, torch::TensorOptions().device(models.device));
      perceptors.push_back({judging.clip, judging.weight, {{Target{"memory probe", direction / direction.norm()}}}});
    }
    // The drawing's peak counts with the decoder side: neither depends on the views.
    double drawing = 0;
    auto drawer = std::make_unique<DrawnHookDrawer>(
        make_drawer(models, settings.drawer, grid * unit, grid * unit, DrawerStart{}, generator), [&] {
          drawing = static_cast<double>(meter.peak_bytes());
          meter.reset_peak();
        });
    RenderLoop loop(std::move(perceptors), std::move(drawer), settings, generator);
    loop.set_picture_gradient_hook([&] {
      peaks.views_side = static_cast<double>(meter.peak_bytes());
      meter.reset_peak();
    });
    loop.step();
    peaks.decoder_side = std::max(drawing, static_cast<double>(meter.peak_bytes()));
  }
  return peaks;
}

// The quadratic through three (cells, bytes) points; a line through the ends
// when the curve bends down (no attention worth the name, or noise).
PeakFit fit_cells(double f, const double (&cells)[3], const double (&bytes)[3]) {
  const double slope12 = (bytes[1] - bytes[0]) / (cells[1] - cells[0]);
  const double slope23 = (bytes[2] - bytes[1]) / (cells[2] - cells[1]);
  double quadratic = (slope23 - slope12) / (cells[2] - cells[0]);
  double linear = slope12 - quadratic * (cells[0] + cells[1]);
  if (quadratic < 0 || linear < 0) {
    quadratic = 0;
    linear = std::max(0.0, (bytes[2] - bytes[0]) / (cells[2] - cells[0]));
  }
  PeakFit fit;
  fit.bytes_per_cell_pair = quadratic;
  fit.bytes_per_pixel = linear / (f * f);
  fit.fixed_bytes = std::max(0.0, bytes[0] - linear * cells[0] - quadratic * cells[0] * cells[0]);
  return fit;
}

// Micro-batched steps keep every view's cutout graph and one batch's CLIP
// activations. From the all-at-once fit of the same side (its attention term)
// and four micro-batched probes: b21 (grid 4, 2 views a batch of 1), b31, b42
// and b21 on grid 8.
PeakFit fit_batched(double f, const PeakFit& all_at_once, double b21, double b31, double b42, double b21_grid8) {
  const double cells4 = 16, cells8 = 64;
  const double quadratic = all_at_once.bytes_per_cell_pair;
  const double linear = std::max(0.0, (b21_grid8 - b21 - quadratic * (cells8 * cells8 - cells4 * cells4)) / (cells8 - cells4));
  PeakFit fit;
  fit.bytes_per_cell_pair = quadratic;
  fit.bytes_per_pixel = linear / (f * f);
  fit.bytes_per_cutout = std::max(0.0, b31 - b21);
  fit.bytes_per_batch_view = std::max(0.0, b42 - b21 - 2 * fit.bytes_per_cutout);
  fit.fixed_bytes = std::max(0.0, b21 - linear * cells4 - quadratic * cells4 * cells4 - 2 * fit.bytes_per_cutout -
                                      fit.bytes_per_batch_view);
  return fit;
}

// /proc/meminfo's MemAvailable in bytes, or nothing.
std::optional<int64_t> meminfo_available() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

// A number in a cgroup file, or nothing ("max", missing, unreadable).
std::optional<int64_t> cgroup_number(const std::string& path) {
  std::ifstream file(path);
  std::string text;
  if (!(file >> text) || text == "max") return std::nullopt;
  try {
    return static_cast<int64_t>(std::stoll(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// limit - usage of this process's cgroup (v2, then v1), or nothing.
std::optional<int64_t> cgroup_room() {
  std::ifstream self("/proc/self/cgroup");
  for (std::string line; std::getline(self, line);) {
    if (line.rfind("0::", 0) == 0) {  // cgroup v2
      const std::string dir = "/sys/fs/cgroup" + line.substr(3);
      const auto limit = cgroup_number(dir + "/memory.max");
      const auto usage = cgroup_number(dir + "/memory.current");
      if (limit && usage) return std::max<int64_t>(0, *limit - *usage);
    }
  }
  const auto limit = cgroup_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const auto usage = cgroup_number("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  // v1 says "no limit" with a huge number.
  if (limit && usage && *limit < (int64_t{1} << 60)) return std::max<int64_t>(0, *limit - *usage);
  return std::nullopt;
}

// What `ulimit -v` (RLIMIT_AS) leaves of the address space, or nothing.
std::optional<int64_t> address_space_room() {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0;
  if (!(statm >> pages)) return std::nullopt;
  const int64_t used = pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  return std::max<int64_t>(0, static_cast<int64_t>(limit.rlim_cur) - used);
}

std::string settings_key(const LoopSettings& settings) {
  std::ostringstream key;
  key << static_cast<int>(settings.precision) << '/' << static_cast<int>(settings.optimiser.kind) << '/'
      << static_cast<int>(settings.cutouts.method) << '/' << to_string(settings.cutouts.augments);
  const auto& drawer = settings.drawer;
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      break;
    case DrawerKind::kPixels:
      key << "/pixels/" << name_of(drawer.pixels.colour) << '/' << name_of(drawer.pixels.space);
      break;
    case DrawerKind::kPixelArt:
      key << "/pixel-art/" << drawer.pixel_art.cell << '/' << drawer.pixel_art.palette;
      break;
    case DrawerKind::kVector:
      key << "/vector/" << drawer.vector.shapes << '/' << drawer.vector.strokes << '/' << drawer.vector.segments;
      break;
  }
  if (settings.losses.any()) key << "/picture-losses";
  if (settings.perceptors.ensemble()) {
    key << "/perceptors/" << (settings.perceptors.clip_weight > 0 ? "own+" : "") << settings.perceptors.extra.size();
  }
  return key.str();
}

// The side of one probe unit in pixels: a VQGAN latent cell, else the
// smallest whole number of the drawer's size multiple from 8 pixels up.
int probe_unit(const Models& models, const DrawerSettings& drawer) {
  const int multiple = size_multiple(drawer, models.manifest);
  if (drawer.is_vqgan()) return multiple;
  return multiple * ((8 + multiple - 1) / multiple);
}

// What the costs depend on: the bundle's files (and the other CLIPs'), the
// loop settings, the CPU, libtorch and this library's build.
std::string disk_cache_key(const Models& models, const LoopSettings& settings) {
  nlohmann::json key{{"bundle", models.manifest.file_hashes},
                     {"settings", settings_key(settings)},
                     {"cpu", cpu_model_name()},
                     {"libtorch", TORCH_VERSION},
                     {"library", library_identity()}};
  // Other CLIPs by their files, not by where they lie.
  for (const auto& extra : settings.perceptors.extra) {
    const auto found = models.perceptors.find(extra.bundle);
    if (found != models.perceptors.end()) key["perceptors"].push_back(clip_file_hashes(found->second.manifest));
  }
  return key.dump();
}

// The costs for these settings: from the Models, the disk cache, or measured.
const MemoryCosts& costs_for(Models& models, const LoopSettings& settings) {
  // In memory the other CLIPs go by their directories (as Models keeps them), on disk by their files.
  auto key = settings_key(settings);
  for (const auto& extra : settings.perceptors.extra) key += "|" + extra.bundle.string();
  auto found = models.memory_costs.find(key);
  if (found != models.memory_costs.end()) return found->second;
  const auto disk_key = disk_cache_key(models, settings);
  auto costs = read_cached_costs(disk_key);
  if (costs) {
    spdlog::debug("memory costs of this bundle and settings from the cache in {}", cache_dir()->string());
  } else {
    costs = measure_memory_costs(models, settings);
    write_cached_costs(disk_key, *costs);
  }
  return models.memory_costs.emplace(key, *costs).first->second;
}

}  // namespace

double PeakFit::at(double pixels, double cells, int cutn, int batch) const {
  return fixed_bytes + bytes_per_pixel * pixels + bytes_per_cell_pair * cells * cells + bytes_per_cutout * cutn +
         bytes_per_batch_view * batch;
}

int64_t MemoryCosts::peak_bytes(int width, int height, int cutn, int batch) const {
  const double pixels = static_cast<double>(width) * height;
  const double cells = pixels / (static_cast<double>(downsample_factor) * downsample_factor);
  const bool micro_batched = batch > 0 && batch < cutn;
  const auto& views = micro_batched ? batched_views_side : views_side;
  const auto& decoder = micro_batched ? batched_decoder_side : decoder_side;
  return static_cast<int64_t>(
      std::ceil(std::max(views.at(pixels, cells, cutn, batch), decoder.at(pixels, cells, cutn, batch))));
}

int MemoryCosts::largest_batch(int width, int height, int cutn, int64_t budget_bytes) const {
  if (peak_bytes(width, height, cutn) <= budget_bytes) return cutn;
  for (int batch = cutn - 1; batch >= 1; --batch) {
    if (peak_bytes(width, height, cutn, batch) <= budget_bytes) return batch;
  }
  return 0;
}

MemoryCosts measure_memory_costs(Models& models, const LoopSettings& settings) {
  MemoryCosts costs;
  const int f = probe_unit(models, settings.drawer);
  costs.downsample_factor = f;
  const double cells[3] = {16, 64, 144};  // grids of 4, 8 and 12 cells a side
  ProbePeaks one_view[3];
  for (int i = 0; i < 3; ++i) {
    one_view[i] = probe(models, settings, f, static_cast<int>(std::lround(std::sqrt(cells[i]))), 1);
  }
  const ProbePeaks three_views = probe(models, settings, f, 4, 3);
  costs.views_side = fit_cells(f, cells, {one_view[0].views_side, one_view[1].views_side, one_view[2].views_side});
  costs.decoder_side = fit_cells(f, cells, {one_view[0].decoder_side, one_view[1].decoder_side, one_view[2].decoder_side});
  // Views on each side: the fits above hold one; the difference to three gives the rest.
  for (auto [fit, three, one] : {std::tuple{&costs.views_side, three_views.views_side, one_view[0].views_side},
                                 std::tuple{&costs.decoder_side, three_views.decoder_side, one_view[0].decoder_side}}) {
    fit->bytes_per_cutout = std::max(0.0, (three - one) / 2);
    fit->fixed_bytes = std::max(0.0, fit->fixed_bytes - fit->bytes_per_cutout);
  }
  const ProbePeaks b21 = probe(models, settings, f, 4, 2, 1), b31 = probe(models, settings, f, 4, 3, 1),
                   b42 = probe(models, settings, f, 4, 4, 2), b21_grid8 = probe(models, settings, f, 8, 2, 1);
  costs.batched_views_side =
      fit_batched(f, costs.views_side, b21.views_side, b31.views_side, b42.views_side, b21_grid8.views_side);
  costs.batched_decoder_side =
      fit_batched(f, costs.decoder_side, b21.decoder_side, b31.decoder_side, b42.decoder_side, b21_grid8.decoder_side);
  spdlog::debug("memory costs, views side: {} fixed, {:.1f} bytes a pixel, {} a cutout; decoder side: {} fixed, "
                "{:.1f} bytes a pixel; {:.3g} and {:.3g} bytes a latent cell pair; micro-batched: {} a cutout, {} a view "
                "of a batch",
                format_bytes(costs.views_side.fixed_bytes), costs.views_side.bytes_per_pixel,
                format_bytes(costs.views_side.bytes_per_cutout), format_bytes(costs.decoder_side.fixed_bytes),
                costs.decoder_side.bytes_per_pixel, costs.views_side.bytes_per_cell_pair,
                costs.decoder_side.bytes_per_cell_pair, format_bytes(costs.batched_views_side.bytes_per_cutout),
                format_bytes(costs.batched_views_side.bytes_per_batch_view));
  return costs;
}

int64_t available_memory_bytes() {
  std::optional<int64_t> room = meminfo_available();
  for (const auto limit : {cgroup_room(), address_space_room()}) {
    if (limit) room = room ? std::min(*room, *limit) : *limit;
  }
  return room.value_or(std::numeric_limits<int64_t>::max());
}

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

std::optional<MemoryPlan> plan_memory(Models& models, const GenerationParams& resolved, int64_t budget_bytes,
                                      bool second_pass) {
  if (!models.device.is_cpu()) return std::nullopt;
  const auto& costs = costs_for(models, LoopSettings::from(resolved, models.precision));
  const int width = *resolved.width, height = *resolved.height, cutn = resolved.cutouts.cutn;
  const int asked = resolved.cutouts.batch;
  const bool machine = budget_bytes <= 0;
  MemoryPlan plan;
  plan.budget_bytes = machine ? available_memory_bytes() : budget_bytes;
  plan.batch = asked > 0 ? asked : std::max(1, costs.largest_batch(width, height, cutn, plan.budget_bytes));
  plan.estimate_bytes = costs.peak_bytes(width, height, cutn, plan.batch);
  spdlog::debug("memory estimate {} with {} of {} cutouts a batch, against {} {}",
                format_bytes(static_cast<double>(plan.estimate_bytes)), plan.batch, cutn,
                format_bytes(static_cast<double>(plan.budget_bytes)), machine ? "available" : "allowed");
  if (plan.estimate_bytes > plan.budget_bytes) {
    const std::string batches = plan.batch >= cutn ? ""
                                : asked > 0        ? " in micro-batches of {cutn_batch} " + std::to_string(plan.batch)
                                                   : " even one cutout at a time";
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    throw ParameterError(
        second_pass ? "hires_scale" : "size",
        (second_pass ? "makes a second pass of " + size + ", which" : size) + " with {cutn} " + std::to_string(cutn) +
            " needs about " + format_bytes(static_cast<double>(plan.estimate_bytes)) + " for one step" + batches +
            " (this bundle: " + format_bytes(costs.decoder_side.bytes_per_pixel) + " a pixel, " +
            format_bytes(costs.views_side.bytes_per_cutout) + " a cutout), more than the " +
            format_bytes(static_cast<double>(plan.budget_bytes)) +
            (machine ? " available to this process" : " that {max_memory} allows") +
            (second_pass ? "; lower {hires_scale}, {size}" : "; lower {size}") +
            (asked > 0 && plan.batch > 1 ? " or {cutn_batch}" : " or {cutn}"),
        {"cutn", "cutn_batch", "max_memory", "size", "hires_scale"});
  }
  return plan;
}

}  // namespace vqclip
