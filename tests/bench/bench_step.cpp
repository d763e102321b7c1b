// Benchmark of one optimisation step: the loop's time split, the modules' own
// forward+backward on same-shaped inputs with their matrix-product FLOPs and
// achieved rates against the machine's, and peak memory. Prints figures; it
// asserts nothing (see scripts/bench_generate.sh).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/cuda.h>

#include "model/batched_matmul.hpp"
#include "render/memory_meter.hpp"
#include "render/precision.hpp"
#include "vqclip/context_params.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/memory_estimate.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_loop.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / (1024.0 * 1024.0);
}

// One module's forward+backward alone, frozen weights, on an input shaped
// like one step's: the decoder's (on the VQGAN latent z_q) or a judging CLIP's
// image encoder (on the views). What the loop cannot go below.
struct ModuleRun {
  std::string name;
  torch::jit::Module* module;
  std::function<torch::Tensor()> make_input;
  double seconds = 0;
  double forward_flops = 0;
};

void forward_backward(ModuleRun& run, vqclip::Precision precision, const c10::Device& device) {
  auto input = run.make_input().requires_grad_(true);
  torch::Tensor output;
  {
    vqclip::AutocastScope autocast(precision, device);
    output = run.module->forward({input}).toTensor();
  }
  output.to(torch::kFloat).sum().backward();
  if (device.is_cuda()) torch::cuda::synchronize();  // CUDA work is asynchronous
}

// Matrix-product FLOPs (2 a multiply-add) of the operators one thread runs,
// counted from their shapes: mm, addmm, bmm, baddbmm and
// vqclip::batched_matmul where it computes the product itself (else the
// at::matmul it calls is counted) when they start, convolutions when they end
// (from the output's size). A boxed call (an operator TorchScript calls
// directly, such as vqclip::batched_matmul) has its outputs where its inputs
// were by then.
thread_local double counted_flops = 0;

double product_flops_at_start(const at::RecordFunction& call) {
  const std::string name = call.name();
  const auto inputs = call.inputs();
  const auto sizes = [&](size_t i) { return inputs.at(i).toTensor().sizes(); };
  if (name == "aten::mm") return 2.0 * sizes(0)[0] * sizes(0)[1] * sizes(1)[1];
  if (name == "aten::addmm") return 2.0 * sizes(1)[0] * sizes(1)[1] * sizes(2)[1];
  if (name == "aten::bmm") return 2.0 * sizes(0)[0] * sizes(0)[1] * sizes(0)[2] * sizes(1)[2];
  if (name == "aten::baddbmm") return 2.0 * sizes(1)[0] * sizes(1)[1] * sizes(1)[2] * sizes(2)[2];
  if (name == "vqclip::batched_matmul") {
    const auto a = inputs.at(0).toTensor(), b = inputs.at(1).toTensor();
    return vqclip::computes_batched_matmul(a, b) ? 2.0 * static_cast<double>(a.numel()) * b.size(-1) : 0;
  }
  return 0;
}

double convolution_flops_at_end(const at::RecordFunction& call) {
  if (call.name() != std::string("aten::convolution") || call.outputs().empty()) return 0;
  // Weight [out, in / groups, k...]: each output value takes in / groups x k... multiply-adds;
  // transposed [in, out / groups, k...]: each input value gives out / groups x k... of them.
  const auto inputs = call.inputs();
  const auto weight = inputs.at(1).toTensor();
  const bool transposed = inputs.at(6).toBool();
  const auto& spread = transposed ? inputs.at(0).toTensor() : call.outputs()[0].toTensor();
  return 2.0 * static_cast<double>(spread.numel()) * static_cast<double>(weight.numel() / weight.size(0));
}

// The module's forward matrix-product FLOPs, counted in fp32 (autocast would
// dispatch some operators twice; the count does not depend on the precision).
double forward_flops(ModuleRun& run) {
  counted_flops = 0;
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback([](const at::RecordFunction& call) -> std::unique_ptr<at::ObserverContext> {
        counted_flops += product_flops_at_start(call);
        return nullptr;
      }, [](const at::RecordFunction& call, at::ObserverContext*) { counted_flops += convolution_flops_at_end(call); })
          .needsInputs(true)
          .needsOutputs(true)
          .scopes({at::RecordScope::FUNCTION}));
  {
    torch::NoGradGuard no_grad;
    run.module->forward({run.make_input()});
  }
  at::removeCallback(handle);
  return counted_flops;
}

// The machine's matrix-product rate in GFLOP/s: n x n x n products, ~1 s.
double matmul_gflops(int64_t n, torch::Dtype dtype, const c10::Device& device) {
  const auto options = torch::TensorOptions().dtype(dtype).device(device);
  const auto a = torch::rand({n, n}, options), b = torch::rand({n, n}, options);
  torch::mm(a, b);  // warm-up
  int products = 0;
  const auto start = Clock::now();
  double seconds = 0;
  while (seconds < 1.0) {
    torch::mm(a, b);
    if (device.is_cuda()) torch::cuda::synchronize();
    ++products;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return 2.0 * n * n * n * products / seconds / 1e9;
}

int run(int argc, char** argv) {
  CLI::App app{"vqclip step benchmark"};
  std::string models;
  int width = 0, height = 0, cutn = 32, cutn_batch = 0, steps = 5, threads = 0;
  std::string cut_method = "pooled", augments = "affine,perspective,jitter,erasing,noise", precision = "fp32";
  std::string device = "cpu";
  std::string profile;
  std::string drawer_name = "vqgan", pixels_space = "fourier";
  vqclip::DrawerSettings drawer;
  std::vector<std::string> perceptor_texts;
  vqclip::PerceptorSettings perceptors;
  app.add_option("--models", models, "bundle directory")->required();
  app.add_option("--perceptor", perceptor_texts, "another bundle's CLIP judges too: DIR[:WEIGHT] (repeatable)");
  app.add_option("--clip-weight", perceptors.clip_weight, "the bundle's own CLIP's weight (0: it does not judge)");
  app.add_option("--drawer", drawer_name, "vqgan, pixels, pixel-art or vector");
  app.add_option("--pixels-space", pixels_space, "pixels drawer: fourier or pixel");
  app.add_option("--pixel-cell", drawer.pixel_art.cell, "pixel-art drawer: pixels a cell side");
  app.add_option("--palette", drawer.pixel_art.palette, "pixel-art drawer: palette colours (0: none)");
  app.add_option("--shapes", drawer.vector.shapes, "vector drawer: filled paths");
  app.add_option("--strokes", drawer.vector.strokes, "vector drawer: strokes");
  app.add_option("--width", width, "picture width (default: bundle's)");
  app.add_option("--height", height, "picture height (default: bundle's)");
  app.add_option("--cutn", cutn);
  app.add_option("--cutn-batch", cutn_batch, "views per CLIP micro-batch (0: all at once)");
  app.add_option("--steps", steps, "measured steps (after one warm-up step)");
  app.add_option("--threads", threads);
  app.add_option("--cut-method", cut_method);
  app.add_option("--augment", augments);
  app.add_option("--precision", precision);
  app.add_option("--device", device, "cpu, cuda or cuda:N");
  app.add_option("--profile", profile,
                 "write the timed steps' operators as a Chrome trace to this file "
                 "(scripts/profile_ops.py sums it per operator)");
  CLI11_PARSE(app, argc, argv);

  vqclip::tune_memory_allocator();
  // The context as vqclip resolves it: the same device and thread choice.
  vqclip::ContextParams context_params;
  context_params.models = models;
  context_params.threads = threads;
  context_params.verify = false;
  const auto parsed_device = vqclip::DeviceChoice::parse(device);
  const auto parsed_precision = vqclip::enum_from_name<vqclip::Precision>(precision);
  if (!parsed_device || !parsed_precision) throw std::invalid_argument("--device or --precision: unknown value");
  drawer.kind = vqclip::enum_from_name<vqclip::DrawerKind>(drawer_name);
  const auto space = vqclip::enum_from_name<vqclip::PixelsSpace>(pixels_space);
  if (!drawer.kind || !space) throw std::invalid_argument("--drawer or --pixels-space: unknown value");
  drawer.pixels.space = *space;
  vqclip::validate(drawer);
  for (const auto& text : perceptor_texts) {
    const auto perceptor = vqclip::parse_perceptor(text);
    if (!perceptor) throw std::invalid_argument("--perceptor " + text + ": expected DIR[:WEIGHT]");
    perceptors.extra.push_back(*perceptor);
  }
  vqclip::validate(perceptors);
  context_params.device = *parsed_device;
  context_params.precision = *parsed_precision;
  const auto context = vqclip::resolve(context_params);
  const auto load_start = Clock::now();
  auto loaded = vqclip::load_models(context, vqclip::ModelParts::for_render(drawer.is_vqgan(), false));
  vqclip::load_perceptors(loaded, perceptors);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  const auto clips = vqclip::judging_clips(loaded, perceptors);
  if (width == 0) width = loaded.manifest.default_width;
  if (height == 0) height = loaded.manifest.default_height;
  const int multiple = vqclip::size_multiple(drawer, loaded.manifest);
  if (width % multiple != 0 || height % multiple != 0) {
    throw std::invalid_argument("--width and --height must be multiples of " + std::to_string(multiple));
  }

  vqclip::LoopSettings settings;
  settings.steps = steps + 1;
  settings.cutouts.cutn = cutn;
  settings.cutouts.batch = cutn_batch;
  settings.cutouts.method = cut_method == "crops" ? vqclip::CutMethod::kCrops : vqclip::CutMethod::kPooled;
  settings.cutouts.augments = vqclip::parse_augments(augments);
  settings.precision = context.precision;
  settings.drawer = drawer;
  settings.perceptors = perceptors;
  auto generator = vqclip::make_random_generator(0, context.device);
  // Every judging CLIP with the prompt in its own embedding.
  const auto new_perceptors = [&] {
    std::vector<vqclip::Perceptor> list;
    for (const auto& judging : clips) {
      const auto text = vqclip::embed_texts(*judging.clip, {"a red circle on a blue background"});
      list.push_back({judging.clip, judging.weight, {{vqclip::Target{"prompt", text[0], 1.0}}}});
    }
    return list;
  };
  const auto new_drawer = [&] { return vqclip::make_drawer(loaded, drawer, width, height, {}, generator); };
  // The memory estimate against the tensor bytes the first step really takes
  // (CPU only: the meter counts the CPU allocator's tensors).
  std::optional<vqclip::MemoryCosts> costs;
  double costs_seconds = 0;
  int64_t measured_peak = 0;
  if (loaded.device.is_cpu()) {
    const auto costs_start = Clock::now();
    costs = vqclip::measure_memory_costs(loaded, settings);
    costs_seconds = std::chrono::duration<double>(Clock::now() - costs_start).count();
    vqclip::TensorMemoryMeter meter;
    vqclip::RenderLoop first(new_perceptors(), new_drawer(), settings, generator);
    first.step();
    measured_peak = meter.peak_bytes();
  }
  vqclip::RenderLoop loop(new_perceptors(), new_drawer(), settings, generator);
  const auto z = drawer.is_vqgan() ? loop.drawer().parameters()[0] : torch::Tensor();

  loop.step();  // warm-up: first-call allocations and JIT profiling
  vqclip::StepTimings total;
  std::optional<torch::autograd::profiler::RecordProfile> profiler;
  if (!profile.empty()) profiler.emplace(profile);  // its own cost is in the step's time: time without it
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) {
    const auto t = loop.step().timings;
    total.decode += t.decode;
    total.cutouts += t.cutouts;
    total.clip_forward += t.clip_forward;
    total.backward += t.backward;
    total.optimiser += t.optimiser;
  }
  const double step_seconds = std::chrono::duration<double>(Clock::now() - start).count() / steps;
  profiler.reset();  // writes the trace

  const auto cpu_or_device = torch::TensorOptions().device(loaded.device);
  std::vector<ModuleRun> runs;
  if (loaded.vqgan && z.defined()) {
    runs.push_back({"VQGAN decoder", &loaded.vqgan->decoder, [&] { return z.detach().clone(); }});
  }
  for (const auto& judging : clips) {
    const int r = judging.clip->spec.input_resolution;
    runs.push_back({judging.manifest->name + " image encoder", &judging.clip->image_encoder,
                    [&, r] { return torch::rand({cutn, 3, r, r}, cpu_or_device); }});
  }
  double modules = 0;
  for (auto& run : runs) {
    forward_backward(run, context.precision, loaded.device);  // warm-up
    const auto run_start = Clock::now();
    for (int i = 0; i < steps; ++i) forward_backward(run, context.precision, loaded.device);
    run.seconds = std::chrono::duration<double>(Clock::now() - run_start).count() / steps;
    run.forward_flops = forward_flops(run);
    modules += run.seconds;
  }
  const bool reduced = context.precision != vqclip::Precision::kFp32;
  const auto reduced_dtype = context.precision == vqclip::Precision::kFp16 ? torch::kHalf : torch::kBFloat16;
  const double fp32_rate = matmul_gflops(2048, torch::kFloat, loaded.device);
  const double reduced_rate = reduced ? matmul_gflops(2048, reduced_dtype, loaded.device) : 0;

  std::string judges;
  for (const auto& judging : clips) {
    judges += (judges.empty() ? "" : " + ") + judging.manifest->name + " (" +
              std::to_string(judging.clip->spec.input_resolution) + " px)";
  }
  std::printf("bundle %s | drawer %s | %dx%d | cutn %d (batches of %d) | %s | %s | %d thread(s) | load %.2f s\n",
              loaded.manifest.name.c_str(), drawer_name.c_str(), width, height, cutn, cutn_batch > 0 ? cutn_batch : cutn,
              loaded.device.str().c_str(), precision.c_str(), context.threads, load_seconds);
  std::printf("judged by     %s\n", judges.c_str());
  std::printf("step          %8.4f s  (%.2f steps/s)\n", step_seconds, 1.0 / step_seconds);
  std::printf("  draw        %8.4f s\n", total.decode / steps);
  std::printf("  cutouts     %8.4f s\n", total.cutouts / steps);
  std::printf("  clip fwd    %8.4f s\n", total.clip_forward / steps);
  std::printf("  backward    %8.4f s\n", total.backward / steps);
  std::printf("  optimiser   %8.4f s\n", total.optimiser / steps);
  std::printf("modules alone %8.4f s  (step / modules = %.3f)\n", modules, step_seconds / modules);
  // With frozen weights the backward computes the input's gradient only: about the forward's FLOPs again.
  for (const auto& run : runs) {
    const double flops = 2 * run.forward_flops;
    std::printf("  %-26s %8.4f s  %8.1f GFLOP fwd+bwd  %7.1f GFLOP/s\n", run.name.c_str(), run.seconds, flops / 1e9,
                flops / run.seconds / 1e9);
  }
  std::printf("machine       2048^3 mm: %.1f GFLOP/s fp32", fp32_rate);
  if (reduced) std::printf(", %.1f GFLOP/s %s", reduced_rate, precision.c_str());
  std::printf(" (%d thread(s))\n", context.threads);
  std::printf("peak RSS      %8.3f GiB\n", peak_rss_gib());
  if (costs) {
    const double estimate = static_cast<double>(costs->peak_bytes(width, height, cutn, cutn_batch));
    std::printf("memory        estimate %s (costs measured in %.2f s), first step's tensors %s (%+.1f%%)\n",
                vqclip::format_bytes(estimate).c_str(), costs_seconds,
                vqclip::format_bytes(static_cast<double>(measured_peak)).c_str(),
                100.0 * (estimate / static_cast<double>(measured_peak) - 1));
  } else {
    std::printf("memory        no estimate on %s (the meter counts CPU tensors)\n", loaded.device.str().c_str());
  }
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
