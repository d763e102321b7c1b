// Renders one picture through the vqclip library: resolve a context, load the
// models a render needs, render with a progress callback, write the PNG.
//
//   render_picture "a red circle on a blue background" out.png [BUNDLE_DIR]
//
// Without BUNDLE_DIR the bundled tiny model is used ($VQCLIP_MODELS, else the
// installed one). Exit codes are vqclip's (see vqclip --help).
#include <vqclip/vqclip.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s PROMPT OUTPUT.png [BUNDLE_DIR]\n", argv[0]);
    return 2;
  }
  try {
    vqclip::ContextParams context_params;
    if (argc == 4) context_params.models = argv[3];
    const auto context = vqclip::resolve(context_params);

    vqclip::GenerationParams params;
    params.prompts = {argv[1]};
    params.steps = 20;
    params.seed = 7;
    vqclip::validate(params);  // before the models load: a bad value costs nothing

    auto models = vqclip::load_models(context, vqclip::ModelParts::for_render(params.starts_from_picture()));

    vqclip::RenderCallbacks callbacks;
    callbacks.on_step = [](const vqclip::StepInfo& step) {
      if (step.step % 5 == 0) std::printf("step %d/%d  loss %.4f\n", step.step, step.steps, step.loss);
      return true;  // false would stop the run after this step
    };
    const auto result = vqclip::render(models, params, callbacks);

    vqclip::save_picture(argv[2], result.picture, result.record, vqclip::MetadataMode::kPng);
    std::printf("%s: %dx%d, seed %llu, %s, similarity %.4f\n", argv[2], *result.params.width, *result.params.height,
                static_cast<unsigned long long>(*result.params.seed), std::string(vqclip::name_of(result.status)).c_str(),
                result.record.at("similarity").at(0).at("cosine").get<double>());
    return 0;
  } catch (const vqclip::Error& e) {
    std::fprintf(stderr, "render_picture: error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
}
