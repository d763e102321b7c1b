// Benchmark of one optimisation step: the loop's time split, the modules' own
// forward+backward on same-shaped inputs, and peak memory. Prints figures; it
// asserts nothing (see scripts/bench_generate.sh).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <torch/cuda.h>

#include "vqclip/bundle.hpp"
#include "vqclip/generator.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / (1024.0 * 1024.0);
}

// Decoder and image encoder forward+backward alone, frozen weights, on inputs
// shaped like one step's: what the loop cannot go below.
double modules_alone_seconds(vqclip::Bundle& bundle, const torch::Tensor& z_q, int cutn) {
  const int r = bundle.manifest.clip.input_resolution;
  const auto start = Clock::now();
  auto z = z_q.detach().clone().requires_grad_(true);
  bundle.decoder.forward({z}).toTensor().sum().backward();
  auto views = torch::rand({cutn, 3, r, r}, z_q.options()).requires_grad_(true);
  bundle.image_encoder.forward({views}).toTensor().sum().backward();
  if (z_q.is_cuda()) torch::cuda::synchronize();  // CUDA work is asynchronous
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run(int argc, char** argv) {
  CLI::App app{"vqclip step benchmark"};
  std::string models;
  int width = 0, height = 0, cutn = 32, steps = 5, threads = 0;
  std::string cut_method = "pooled", augments = "affine,perspective,jitter,erasing,noise", precision = "fp32";
  std::string device = "cpu";
  app.add_option("--models", models, "bundle directory")->required();
  app.add_option("--width", width, "picture width (default: bundle's)");
  app.add_option("--height", height, "picture height (default: bundle's)");
  app.add_option("--cutn", cutn);
  app.add_option("--steps", steps, "measured steps (after one warm-up step)");
  app.add_option("--threads", threads);
  app.add_option("--cut-method", cut_method);
  app.add_option("--augment", augments);
  app.add_option("--precision", precision);
  app.add_option("--device", device, "cpu, cuda or cuda:N");
  CLI11_PARSE(app, argc, argv);

  vqclip::tune_memory_allocator();
  int used_threads = vqclip::configure_threads(threads);
  torch::manual_seed(0);
  const auto load_start = Clock::now();
  vqclip::LoadOptions options;
  options.verify_hashes = false;
  options.device = vqclip::resolve_device(device);
  auto bundle = vqclip::load_bundle(models, options);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  if (threads <= 0) {  // as vqclip picks them
    const int64_t parameters =
        vqclip::parameter_count(bundle.image_encoder) + vqclip::parameter_count(bundle.decoder);
    used_threads = vqclip::configure_threads(vqclip::auto_threads_for_model(parameters));
  }
  if (width == 0) width = bundle.manifest.default_width;
  if (height == 0) height = bundle.manifest.default_height;
  const int f = bundle.manifest.vqgan.downsample_factor;

  vqclip::LoopSettings settings;
  settings.steps = steps + 1;
  settings.cutouts.cutn = cutn;
  settings.cutouts.method = cut_method == "crops" ? vqclip::CutMethod::kCrops : vqclip::CutMethod::kPooled;
  settings.cutouts.augments = vqclip::parse_augments(augments);
  settings.precision = precision;
  const auto text = vqclip::embed_texts(bundle, {"a red circle on a blue background"});
  const auto z = vqclip::random_codebook_latent(bundle.codebook, height / f, width / f);
  vqclip::Generator generator(bundle, settings, z, {{vqclip::Target{"prompt", text[0], 1.0}}});

  generator.step();  // warm-up: first-call allocations and JIT profiling
  vqclip::StepTimings total;
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) {
    const auto t = generator.step().timings;
    total.decode += t.decode;
    total.cutouts += t.cutouts;
    total.clip_forward += t.clip_forward;
    total.backward += t.backward;
    total.optimiser += t.optimiser;
  }
  const double step_seconds = std::chrono::duration<double>(Clock::now() - start).count() / steps;

  modules_alone_seconds(bundle, z, cutn);  // warm-up
  double modules = 0;
  for (int i = 0; i < steps; ++i) modules += modules_alone_seconds(bundle, z, cutn);
  modules /= steps;

  std::printf("bundle %s | %dx%d | cutn %d | %s | %s | %d thread(s) | load %.2f s\n", bundle.manifest.name.c_str(),
              width, height, cutn, bundle.device.str().c_str(), precision.c_str(), used_threads, load_seconds);
  std::printf("step          %8.4f s  (%.2f steps/s)\n", step_seconds, 1.0 / step_seconds);
  std::printf("  decode      %8.4f s\n", total.decode / steps);
  std::printf("  cutouts     %8.4f s\n", total.cutouts / steps);
  std::printf("  clip fwd    %8.4f s\n", total.clip_forward / steps);
  std::printf("  backward    %8.4f s\n", total.backward / steps);
  std::printf("  optimiser   %8.4f s\n", total.optimiser / steps);
  std::printf("modules alone %8.4f s  (step / modules = %.3f)\n", modules, step_seconds / modules);
  std::printf("peak RSS      %8.3f GiB\n", peak_rss_gib());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vqclip_bench: error: %s\n", e.what());
    return 1;
  }
}
