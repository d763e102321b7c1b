#include "cli/generate_options.hpp"

#include <sstream>

#include "cli/option_binding.hpp"
#include "cli/option_names.hpp"
#include "vqclip/prompt.hpp"

namespace vqclip::cli {
namespace {

const char* kPromptGroup = "Prompts";
const char* kPictureGroup = "Picture";
const char* kCutoutGroup = "Cutouts and augmentations";
const char* kOptimiserGroup = "Optimiser";
const char* kHiresGroup = "High-resolution pass";
const char* kDrawerGroup = "Drawer (what is optimised)";
const char* kLossGroup = "Picture losses (pixray's; all off by default)";
const char* kPerceptorGroup = "Perceptors (CLIPs that judge the picture)";
const char* kOutputGroup = "Output";

// "1e11", not "1e+11".
std::string n(double value) {
  std::ostringstream text;
  text << value;
  auto spelled = text.str();
  if (const auto plus = spelled.find("e+"); plus != std::string::npos) spelled.erase(plus + 1, 1);
  return spelled;
}

// --drawer and each drawer's own options.
template <typename Track>
void add_drawer_options(CLI::App& app, DrawerSettings& drawer, const Track& track) {
  std::string names;
  for (const auto& name : enum_names<DrawerKind>()) names += (names.empty() ? "" : "|") + name;
  track(app.add_option_function<std::string>(
               option_names("drawer"),
               [&drawer](const std::string& text) {
                 const auto kind = enum_from_name<DrawerKind>(text);
                 if (!kind) throw CLI::ValidationError("--drawer " + text + ": expected " + enum_choices<DrawerKind>());
                 drawer.kind = *kind;
               },
               "What is optimised: the VQGAN latent, the picture's pixels, pixel art (cells, optionally of a "
               "palette), or vector shapes and strokes (also written as SVG: --svg); pixels by default for a "
               "bundle without a VQGAN")
            ->group(kDrawerGroup)->type_name(names)->default_str(std::string(name_of(DrawerKind::kVqgan))));
  track(add_enum_option(app, "pixels_colour", drawer.pixels.colour,
                        "pixels: colour space of the values (decorrelated: ImageNet's colour correlation undone)")
            ->group(kDrawerGroup));
  track(add_enum_option(app, "pixels_space", drawer.pixels.space,
                        "pixels: optimise a Fourier spectrum scaled towards low frequencies, or the pixels")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("pixels_decay"), drawer.pixels.decay,
                       "pixels, fourier: each frequency is scaled by 1/frequency^DECAY, 0 to 4")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("pixel_cell"), drawer.pixel_art.cell,
                       "pixel-art: pixels a cell side; the size is rounded to whole cells")
            ->group(kDrawerGroup));
  track(app.add_option_function<std::vector<std::string>>(
               option_names("pixel_grid"),
               [&drawer](const std::vector<std::string>& values) {
                 drawer.pixel_art.grid = std::array<int, 2>{
                     parse_integer<int>(values.at(0), "--pixel-grid", "COLUMNS ROWS"),
                     parse_integer<int>(values.at(1), "--pixel-grid", "COLUMNS ROWS")};
               },
               "pixel-art: COLUMNS ROWS of cells instead of --pixel-cell; the cell is the width / COLUMNS, and the "
               "size becomes whole cells")
            ->group(kDrawerGroup)->expected(2)->type_name("C R"));
  track(app.add_option(option_names("palette"), drawer.pixel_art.palette,
                       "pixel-art: K colours (2 to 256), optimised with the cells' choices; 0 = every cell its own "
                       "colour")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("shapes"), drawer.vector.shapes,
                       "vector: filled closed paths, 0 to 4096")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("strokes"), drawer.vector.strokes,
                       "vector: open paths drawn with a width above the shapes, 0 to 4096")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("segments"), drawer.vector.segments,
                       "vector: cubic Bezier curves a path, 1 to 16")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("stroke_width"), drawer.vector.stroke_width,
                       "vector: pixels a stroke starts at, 0.5 to 64; optimised within 0.5 to 4x this")
            ->group(kDrawerGroup));
  track(app.add_option(option_names("vector_softness"), drawer.vector.softness,
                       "vector: pixels an edge fades over at the first step (1 to 16), annealed to 1 at the last "
                       "step, an SVG renderer's anti-aliasing")
            ->group(kDrawerGroup));
}

Colour colour_option(const std::string& text, const std::string& flag) {
  const auto colour = parse_colour(text);
  if (!colour) throw CLI::ValidationError(flag + " " + text + ": expected a colour as #rrggbb or #rgb");
  return *colour;
}

// The picture losses' weights and colours.
template <typename Track>
void add_picture_loss_options(CLI::App& app, PictureLosses& losses, const Track& track) {
  track(app.add_option(option_names("smoothness"), losses.smoothness,
                       "Weight of total variation (smooth pictures: neighbouring pixels alike)")
            ->group(kLossGroup));
  track(app.add_option(option_names("symmetry"), losses.symmetry,
                       "Weight of left-right symmetry (the picture against its mirror image)")
            ->group(kLossGroup));
  track(app.add_option(option_names("saturation"), losses.saturation,
                       "Weight of saturation: positive wants vivid colour, negative greys")
            ->group(kLossGroup));
  track(app.add_option_function<std::string>(
               option_names("colours"),
               [&losses](const std::string& list) {
                 losses.colours.clear();
                 std::stringstream items(list);
                 for (std::string item; std::getline(items, item, ',');) {
                   losses.colours.push_back(colour_option(item, "--colours"));
                 }
               },
               "Colours to pull every pixel towards (the nearest of them), comma list of #rrggbb")
            ->group(kLossGroup)->type_name("LIST"));
  track(app.add_option(option_names("colour_weight"), losses.colour_weight, "Weight of the pull towards --colours")
            ->group(kLossGroup));
  track(app.add_option_function<std::string>(
               option_names("edge_colour"),
               [&losses](const std::string& text) { losses.edge_colour = colour_option(text, "--edge-colour"); },
               "Colour to pull the picture's border towards (#rrggbb)")
            ->group(kLossGroup)->type_name("COLOUR"));
  track(app.add_option(option_names("edge_weight"), losses.edge_weight, "Weight of the pull of the border")
            ->group(kLossGroup));
  track(app.add_option(option_names("edge_width"), losses.edge_width,
                       "Border width in pixels; 0 = a sixteenth of the shorter side")
            ->group(kLossGroup));
}

// Other bundles' CLIPs and the bundle's own weight among them.
template <typename Track>
void add_perceptor_options(CLI::App& app, PerceptorSettings& perceptors, const Track& track) {
  track(app.add_option_function<std::vector<std::string>>(
               option_names("perceptors"),
               [&perceptors](const std::vector<std::string>& values) {
                 perceptors.extra.clear();  // given values replace those of a batch's base
                 for (const auto& value : values) {
                   const auto perceptor = parse_perceptor(value);
                   if (!perceptor) throw CLI::ValidationError("--perceptor " + value + ": expected DIR[:WEIGHT]");
                   perceptors.extra.push_back(*perceptor);
                 }
               },
               "Another bundle's CLIP judges too: DIR[:WEIGHT] (weight 1 by default; repeatable, at most " +
                   std::to_string(limits::kMaxPerceptors) +
                   "). Each CLIP cuts its own views at its own resolution; the loss is the weighted sum")
            ->group(kPerceptorGroup)->type_name("DIR[:W]"));
  track(app.add_option(option_names("clip_weight"), perceptors.clip_weight,
                       "Weight of the bundle's own CLIP among the --perceptor ones; 0 = it does not judge")
            ->group(kPerceptorGroup));
}

}  // namespace

std::vector<const CLI::Option*> add_generation_options(CLI::App& app, GenerationParams& p) {
  std::vector<const CLI::Option*> added;
  const auto track = [&added](CLI::Option* option) {
    added.push_back(option);
    return option;
  };

  track(app.add_option(option_names("prompts"), p.prompts,
                       "Text prompt: 'text[:weight[:stop]]', '|' joins prompts, '^' separates story phases")
            ->group(kPromptGroup)->type_name("TEXT"));
  track(app.add_option_function<std::vector<std::string>>(
               option_names("image_prompts"),
               [&p](const std::vector<std::string>& values) {
                 p.image_prompts.clear();  // given values replace those of a batch's base, as -p does
                 for (const auto& value : values) {
                   const auto spec = parse_image_prompt(value);
                   p.image_prompts.push_back({ImageSource::file(spec.text), spec.weight, spec.stop});
                 }
               },
               "Image as a prompt: PATH[:weight[:stop]] (repeatable)")
            ->group(kPromptGroup)->type_name("PATH"));
  track(app.add_option_function<std::vector<std::string>>(
               option_names("noise_prompts"),
               [&p](const std::vector<std::string>& values) {
                 p.noise_prompts.clear();
                 for (const auto& value : values) {
                   const auto spec = parse_noise_prompt(value);
                   p.noise_prompts.push_back({std::stoull(spec.text), spec.weight});
                 }
               },
               "Random embedding as a prompt: SEED[:weight] (repeatable)")
            ->group(kPromptGroup)->type_name("SEED"));
  track(app.add_option(option_names("change_prompt_every"), p.change_prompt_every,
                       "Steps per story phase ('^'); 0 splits the steps evenly")
            ->group(kPromptGroup));

  track(app.add_option(option_names("steps"), p.steps,
                       "Optimisation steps, 1 to " + std::to_string(limits::kMaxSteps) +
                           " (and steps x pixels at most " + n(limits::kMaxPixelSteps) + ")")
            ->group(kPictureGroup));
  track(app.add_option_function<std::vector<std::string>>(
               option_names("size"),
               [&p](const std::vector<std::string>& values) {
                 p.width = parse_integer<int>(values.at(0), "--size", "W H in pixels");
                 p.height = parse_integer<int>(values.at(1), "--size", "W H in pixels");
               },
               "Picture size W H in pixels (default: the bundle's), " + std::to_string(limits::kMinSide) + " to " +
                   std::to_string(limits::kMaxSide) + " a side and at most " + std::to_string(limits::kMaxPixels) +
                   " pixels (4096x4096), rounded to the VQGAN factor (pixel-art: to whole cells)")
            ->group(kPictureGroup)->expected(2)->type_name("W H"));
  track(app.add_option_function<std::string>(
               option_names("seed"),
               [&p](const std::string& text) { p.seed = parse_integer<uint64_t>(text, "--seed", "an integer in [0, 2^64)"); },
               "Random seed (default: random; the seed used is logged and recorded)")
            ->group(kPictureGroup)->type_name("UINT"));
  track(app.add_option_function<std::string>(
               option_names("init_image"), [&p](const std::string& path) { p.init_image = ImageSource::file(path); },
               "Start from this image (the vqgan drawer needs the bundle's VQGAN encoder)")
            ->group(kPictureGroup)->type_name("PATH"));
  track(add_enum_option(app, "init_noise", p.init_noise, "Start from a noise image")->group(kPictureGroup));
  track(app.add_option(option_names("init_weight"), p.init_weight,
                       "Weight of a constant pull back towards the drawer's initial values (the original notebook's init_weight)")
            ->group(kPictureGroup));
  track(app.add_option(option_names("zero_weight"), p.zero_weight,
                       "Weight of a pull of the drawer's values towards zero that fades as 1/(2i+1) at step i "
                       "(nerdyrodent's generate.py -iw)")
            ->group(kPictureGroup));

  track(app.add_option(option_names("cutn"), p.cutouts.cutn,
                       "Cutouts per step, 1 to " + std::to_string(limits::kMaxCutn))
            ->group(kCutoutGroup));
  track(app.add_option(option_names("cutn_batch"), p.cutouts.batch,
                       "Cutouts per CLIP micro-batch (gradients summed before each step); 0 = all at once, "
                       "or fewer when the memory budget needs it")
            ->group(kCutoutGroup));
  track(app.add_option(option_names("cut_pow"), p.cutouts.cut_pow, "Cutout size power (crops method), 0 to 10")
            ->group(kCutoutGroup));
  track(add_enum_option(app, "cut_method", p.cutouts.method, "How views are cut from the picture")->group(kCutoutGroup));
  track(app.add_option_function<std::string>(
               option_names("augments"), [&p](const std::string& list) { p.cutouts.augments = parse_augments(list); },
               "Comma list of " + augment_names() + ", or none")
            ->group(kCutoutGroup)->type_name("LIST")->default_str(to_string(p.cutouts.augments)));

  track(add_enum_option(app, "optimiser", p.optimiser.kind, "Optimiser of the latent")->group(kOptimiserGroup));
  track(app.add_option(option_names("lr"), p.optimiser.lr, "Learning rate")->group(kOptimiserGroup));
  track(app.add_option(option_names("lr_drop_at"), p.optimiser.lr_drop_at,
                       "Fraction of the run after which the learning rate drops; 0 = never")
            ->group(kOptimiserGroup));
  track(app.add_option(option_names("lr_drop_factor"), p.optimiser.lr_drop_factor,
                       "Factor applied to the learning rate at the drop, 0 to 1")
            ->group(kOptimiserGroup));

  track(app.add_option(option_names("hires_scale"), p.hires.scale,
                       "After the steps, upscale the picture by SCALE (above 1, at most " + n(limits::kMaxHiresScale) +
                           "), encode it and refine it at that size; 0 = no second pass")
            ->group(kHiresGroup)->type_name("SCALE"));
  track(app.add_option_function<std::string>(
               option_names("hires_steps"),
               [&p](const std::string& text) {
                 p.hires.steps = parse_integer<int>(text, "--hires-steps", "a number of steps");
               },
               "Steps of the second pass (default: half of --steps)")
            ->group(kHiresGroup)->type_name("N"));

  add_drawer_options(app, p.drawer, track);
  add_picture_loss_options(app, p.losses, track);
  add_perceptor_options(app, p.perceptors, track);
  return added;
}

std::vector<const CLI::Option*> add_output_options(CLI::App& app, OutputParams& p) {
  return {
      app.add_option(option_names("output"), p.path,
                     "Output PNG; a name ending .svg writes the vector drawer's SVG there and the PNG beside it")
          ->group(kOutputGroup)->type_name("PATH"),
      app.add_option(option_names("svg"), p.svg_path, "Also write the vector drawer's picture as SVG (with the record)")
          ->group(kOutputGroup)->type_name("PATH"),
      add_enum_option(app, "metadata", p.metadata, "Where the run's record goes")->group(kOutputGroup),
      app.add_option(option_names("save_every"), p.save_every, "Refresh the output every N steps; 0 = only at the end")
          ->group(kOutputGroup),
      app.add_option(option_names("frames_dir"), p.frames_dir,
                     "Write numbered frames here (for a video; a batch writes DIR/<picture name>/)")
          ->group(kOutputGroup)->type_name("DIR"),
      app.add_option(option_names("frames_every"), p.frames_every, "Write a frame every N steps")->group(kOutputGroup),
      app.add_option(option_names("state"), p.state_path,
                     "Keep the render's state in FILE (every --state-every steps, at the end and on Ctrl-C) "
                     "to continue it with --resume")
          ->group(kOutputGroup)->type_name("FILE"),
      app.add_option(option_names("state_every"), p.state_every, "Steps between two states written to --state")
          ->group(kOutputGroup),
      app.add_option(option_names("candidates"), p.candidates,
                     "Render N seeds (--seed, --seed + 1, ...) and keep the best by CLIP similarity to the prompts, "
                     "1 to " + std::to_string(limits::kMaxCandidates))
          ->group(kOutputGroup),
      app.add_option(option_names("keep"), p.keep,
                     "Keep the best K of the candidates: the output path, then NAME-2.png, NAME-3.png, ...")
          ->group(kOutputGroup),
      app.add_option(option_names("judge"), p.judge,
                     "Judge the candidates with this bundle's CLIP instead of the one they were optimised against")
          ->group(kOutputGroup)->type_name("DIR"),
  };
}

const CLI::Option* add_resume_option(CLI::App& app, std::filesystem::path& resume) {
  return app.add_option(option_names("resume"), resume,
                        "Continue the render whose state FILE holds (written by --state; the same settings, "
                        "the seed and micro-batches taken from it); states go on being written to FILE "
                        "unless --state names another")
      ->group(kOutputGroup)->type_name("FILE");
}

std::string first_option_given(const std::vector<const CLI::Option*>& options) {
  for (const CLI::Option* option : options) {
    if (option->count() > 0) return option->get_name();
  }
  return {};
}

}  // namespace vqclip::cli
