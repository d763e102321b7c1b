// Fuzzes what `vqclip serve` makes of a request body: the JSON parsed with its
// nesting bounded, then read as a jobs API request and as an OpenAI images
// request (against a CLIP-only bundle and one with a VQGAN). Either is
// refused with a 400 and a one-line message, or gives parameters that the
// library resolves against that bundle within the server's limits,
// with the seed fixed and any picture saved under the out dir's uploads.
// Any other exception would reach the client as a 500: it aborts here.
#include <filesystem>
#include <string>

#include "fuzz_support.hpp"
#include "io/bounded_json.hpp"
#include "serve/job_request.hpp"
#include "vqclip/errors.hpp"

using vqclip::fuzz::require;

namespace {

vqclip::serve::ServeOptions fuzz_options() {
  vqclip::serve::ServeOptions options;
  options.out_dir = vqclip::fuzz::scratch() / "out";
  options.max_steps = 50;
  options.max_pixels = 128 * 128;
  return options;
}

// The bundle a server serves, as far as a request is judged against it: its
// default size and drawer. One has a VQGAN (factor 16), one is CLIP-only.
vqclip::Manifest served_bundle(bool with_vqgan) {
  vqclip::Manifest manifest;
  manifest.default_width = 64;
  manifest.default_height = 48;
  if (with_vqgan) manifest.vqgan.emplace().downsample_factor = 16;
  return manifest;
}

bool under(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const auto relative = path.lexically_normal().lexically_relative(folder.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

void check_accepted(const vqclip::GenerationParams& params, const vqclip::serve::ServeOptions& options,
                    const vqclip::Manifest& manifest) {
  // resolve() throws (and so aborts) if the request let an invalid one through.
  const auto resolved = vqclip::resolve(params, manifest);
  require(params.seed.has_value());
  require(params.steps >= 1 && params.steps <= options.max_steps);
  require(int64_t{*resolved.width} * *resolved.height <= options.max_pixels);
  const auto uploads = options.out_dir / "uploads";
  if (params.init_image) require(under(params.init_image->path, uploads));
  for (const auto& prompt : params.image_prompts) require(under(prompt.image.path, uploads));
}

void check_refused(const vqclip::serve::RequestError& error) {
  const std::string message = error.what();
  require(error.status == 400);
  require(!message.empty() && message.find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto options = fuzz_options();
  static const auto clip_only = served_bundle(false);
  static const auto with_vqgan = served_bundle(true);
  const auto body = vqclip::parse_bounded_json_or_discarded(std::string(reinterpret_cast<const char*>(data), size));
  if (body.is_discarded()) return 0;  // answered "not JSON" before these functions
  try {
    check_accepted(vqclip::serve::params_from_request(body, options, clip_only), options, clip_only);
  } catch (const vqclip::serve::RequestError& error) {
    check_refused(error);
  }
  try {
    const auto request = vqclip::serve::openai_images_request(body, options, with_vqgan);
    require(request.n >= 1 && request.n <= options.max_n);
    check_accepted(request.first, options, with_vqgan);
  } catch (const vqclip::serve::RequestError& error) {
    check_refused(error);
  }
  std::filesystem::remove_all(options.out_dir / "uploads");  // a picture per input would fill the scratch folder
  return 0;
}
