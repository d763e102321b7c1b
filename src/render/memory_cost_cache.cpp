#include "render/memory_cost_cache.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "config/cache_dir.hpp"
#include "model/sha256.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

constexpr int kCacheVersion = 1;

std::filesystem::path costs_file(const std::filesystem::path& dir, const std::string& key) {
  return dir / "memory-costs" / (sha256_hex(key.data(), key.size()) + ".json");
}

nlohmann::json fit_json(const PeakFit& fit) {
  return {fit.fixed_bytes, fit.bytes_per_pixel, fit.bytes_per_cell_pair, fit.bytes_per_cutout,
          fit.bytes_per_batch_view};
}

// Five non-negative finite numbers, or nothing.
std::optional<PeakFit> fit_from(const nlohmann::json& json) {
  if (!json.is_array() || json.size() != 5) return std::nullopt;
  for (const auto& value : json) {
    if (!value.is_number() || !(value.get<double>() >= 0) || !std::isfinite(value.get<double>())) return std::nullopt;
  }
  return PeakFit{json[0].get<double>(), json[1].get<double>(), json[2].get<double>(), json[3].get<double>(),
                 json[4].get<double>()};
}

}  // namespace

std::string library_identity() {
  Dl_info info{};
  struct stat status {};
  if (dladdr(reinterpret_cast<void*>(&library_identity), &info) == 0 || !info.dli_fname ||
      ::stat(info.dli_fname, &status) != 0) {
    return "unknown library";
  }
  return std::string(info.dli_fname) + ":" + std::to_string(status.st_size) + ":" + std::to_string(status.st_mtime);
}

std::optional<MemoryCosts> read_cached_costs(const std::string& key) {
  const auto dir = cache_dir();
  if (!dir) return std::nullopt;
  std::ifstream file(costs_file(*dir, key));
  if (!file) return std::nullopt;
  const auto json = nlohmann::json::parse(file, nullptr, false);
  const auto field_is = [&json](const char* name, const nlohmann::json& expected) {
    return json.contains(name) && json[name] == expected;
  };
  if (!json.is_object() || !field_is("version", kCacheVersion) || !field_is("key", key)) {
    spdlog::debug("memory cost cache: ignoring a malformed entry for this bundle");
    return std::nullopt;
  }
  MemoryCosts costs;
  const char* sides[] = {"views_side", "decoder_side", "batched_views_side", "batched_decoder_side"};
  PeakFit* fits[] = {&costs.views_side, &costs.decoder_side, &costs.batched_views_side, &costs.batched_decoder_side};
  for (int i = 0; i < 4; ++i) {
    const auto fit = json.contains(sides[i]) ? fit_from(json[sides[i]]) : std::nullopt;
    if (!fit) return std::nullopt;
    *fits[i] = *fit;
  }
  const auto factor = json.contains("downsample_factor") ? json["downsample_factor"] : nlohmann::json();
  if (!factor.is_number_integer() || factor.get<int64_t>() < 1 || factor.get<int64_t>() > 1024) return std::nullopt;
  costs.downsample_factor = factor.get<int>();
  return costs;
}

void write_cached_costs(const std::string& key, const MemoryCosts& costs) {
  const auto dir = cache_dir();
  if (!dir) return;
  const nlohmann::json json{{"version", kCacheVersion},
                            {"key", key},
                            {"views_side", fit_json(costs.views_side)},
                            {"decoder_side", fit_json(costs.decoder_side)},
                            {"batched_views_side", fit_json(costs.batched_views_side)},
                            {"batched_decoder_side", fit_json(costs.batched_decoder_side)},
                            {"downsample_factor", costs.downsample_factor}};
  try {
    write_file_atomically(costs_file(*dir, key), json.dump(1));
  } catch (const OutputError& e) {
    spdlog::debug("memory cost cache not written: {}", e.what());
  }
}

}  // namespace vqclip
