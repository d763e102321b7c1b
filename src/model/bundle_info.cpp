// The data behind `vqclip info`, and its two renderings (JSON and text).
#include "vqclip/bundle_info.hpp"

#include <spdlog/fmt/fmt.h>

#include "vqclip/drawer_settings.hpp"

namespace vqclip {

namespace {

std::string name_in_bundle(const std::filesystem::path& path, const std::filesystem::path& dir) {
  return path.lexically_relative(dir).generic_string();
}

std::string integrity_text(const BundleInfo& info) { return info.verified ? "ok" : "not checked"; }

std::string three_numbers(const std::array<float, 3>& v) { return fmt::format("{:.4g} {:.4g} {:.4g}", v[0], v[1], v[2]); }

}  // namespace

BundleInfo describe_bundle(const std::filesystem::path& bundle_dir, const LoadOptions& options) {
  LoadOptions everything = options;
  everything.parts = ModelParts::all_of(read_manifest(bundle_dir));
  const auto models = load_models(bundle_dir, everything);
  if (options.verify_hashes) verify_bundle_files(models.manifest);  // files no part loads, too
  const auto& clip = models.require_clip();

  BundleInfo info;
  info.manifest = models.manifest;
  info.device = models.device.str();
  info.verified = options.verify_hashes;
  const auto& dir = info.manifest.dir;
  for (const auto& [name, sha256] : info.manifest.file_hashes) {
    info.files.push_back({name, std::filesystem::file_size(dir / name), sha256});
  }
  const auto& m = info.manifest;
  info.modules.push_back({"text_encoder", name_in_bundle(m.clip.text_encoder, dir), parameter_count(clip.text_encoder)});
  info.modules.push_back(
      {"image_encoder", name_in_bundle(m.clip.image_encoder, dir), parameter_count(clip.image_encoder)});
  if (models.vqgan) {
    const auto& vqgan = *models.vqgan;
    info.modules.push_back({"decoder", name_in_bundle(m.vqgan->decoder, dir), parameter_count(vqgan.decoder)});
    if (vqgan.encoder) {
      info.modules.push_back({"encoder", name_in_bundle(*m.vqgan->encoder, dir), parameter_count(*vqgan.encoder)});
    }
  }
  for (const auto& [kind, name] : EnumTable<DrawerKind>::names) {
    if (kind != DrawerKind::kVqgan || m.vqgan) info.drawers.emplace_back(name);
  }
  return info;
}

nlohmann::json bundle_info_json(const BundleInfo& info) {
  nlohmann::json files = nlohmann::json::object();
  uintmax_t total_bytes = 0;
  for (const auto& file : info.files) {
    files[file.name] = {{"bytes", file.bytes}, {"sha256", file.sha256}};
    total_bytes += file.bytes;
  }
  nlohmann::json parameters = nlohmann::json::object();
  int64_t total_parameters = 0;
  for (const auto& module : info.modules) {
    parameters[module.role] = module.parameters;
    total_parameters += module.parameters;
  }
  parameters["total"] = total_parameters;
  return {{"directory", info.manifest.dir.string()},
          {"name", info.manifest.name},
          {"device", info.device},
          {"manifest", info.manifest.raw},
          {"files", files},
          {"total_bytes", total_bytes},
          {"parameters", parameters},
          {"drawers", info.drawers},
          {"default_drawer", name_of(default_drawer(info.manifest))},
          {"integrity", integrity_text(info)}};
}

std::string bundle_info_text(const BundleInfo& info) {
  const auto& m = info.manifest;
  const auto& clip = m.clip;
  const auto& tokenizer = clip.tokenizer;
  std::string out;
  const auto line = [&out](const std::string& label, const std::string& text) {
    out += fmt::format("{:<12} {}\n", label, text);
  };
  line("name", m.name);
  line("directory", m.dir.string());
  line("format", fmt::format("{} version {}", m.raw.at("format").get<std::string>(), m.raw.at("version").dump()));
  line("default size", fmt::format("{}x{}", m.default_width, m.default_height));
  line("device", info.device);
  line("clip", fmt::format("input {} px, context {} tokens, embed {}, logit scale {:.4g}", clip.input_resolution,
                           clip.context_length, clip.embed_dim, clip.logit_scale));
  line("", fmt::format("mean {}, std {}", three_numbers(clip.mean), three_numbers(clip.std)));
  line("tokenizer", fmt::format("{} {} (bos {}, eos {}, pad {}, {})", tokenizer.type,
                                name_in_bundle(tokenizer.file, m.dir), tokenizer.bos_id, tokenizer.eos_id,
                                tokenizer.pad_id, tokenizer.lowercase ? "lowercase" : "case kept"));
  if (m.vqgan) {
    line("vqgan", fmt::format("downsample {}, codebook {} x {}, encoder {}", m.vqgan->downsample_factor,
                              m.vqgan->n_embed, m.vqgan->embed_dim, m.vqgan->encoder ? "yes" : "no"));
  } else {
    line("vqgan", "none (a CLIP-only bundle)");
  }
  std::string drawers;
  for (const auto& drawer : info.drawers) drawers += (drawers.empty() ? "" : ", ") + drawer;
  line("drawers", fmt::format("{} (default {})", drawers, name_of(default_drawer(m))));

  int64_t total_parameters = 0;
  for (size_t i = 0; i < info.modules.size(); ++i) {
    const auto& module = info.modules[i];
    line(i == 0 ? "parameters" : "", fmt::format("{:<14} {:>12}  {}", module.role, module.parameters, module.file));
    total_parameters += module.parameters;
  }
  line("", fmt::format("{:<14} {:>12}", "total", total_parameters));

  uintmax_t total_bytes = 0;
  for (size_t i = 0; i < info.files.size(); ++i) {
    const auto& file = info.files[i];
    line(i == 0 ? "files" : "", fmt::format("{:<24} {:>12} bytes  sha256 {}", file.name, file.bytes, file.sha256));
    total_bytes += file.bytes;
  }
  line("", fmt::format("{:<24} {:>12} bytes", "total", total_bytes));
  line("integrity", info.verified ? fmt::format("ok (sha256 of {} files matched)", info.files.size())
                                  : std::string("not checked (--no-verify)"));
  return out;
}

}  // namespace vqclip
